/**
 * A simulated device inside the local stack: a thermometer (`sensor-1` by default) that publishes a
 * small JSON reading, `{"device":"sensor-1","temperature":21.4,"at":"<ISO-8601>"}`, to
 * `telemetry/<device>` every few seconds. It gives the demo something to receive on a read-only
 * shared topic: the demo grants let every signed-in user subscribe to `telemetry/*` and nobody
 * publish there.
 *
 * On AWS such a device connects with an X.509 certificate and is authorized by the AWS IoT policy
 * attached to it, never by the vending flow. Here it publishes straight into the broker through
 * `IotGateway.publishAs`, checked against the equivalent policy ({@link devicePolicy}: its own
 * telemetry topic and nothing else); each delivery to a user still needs that user's `iot:Receive`.
 */
import { parsePolicy, type ParsedPolicy } from './iam-policy.js';
import type { InProcessPrincipal, IotGateway } from './iot-gateway.js';
import { iotArn, iotPermissions, type IotResourceScope } from './iot-permissions.js';
import { logValue } from './log-value.js';

/** The device's name (thing name and MQTT client ID) unless told otherwise. */
export const DEFAULT_DEVICE_ID = 'sensor-1';
/** How often it publishes unless told otherwise, in milliseconds. */
export const DEFAULT_DEVICE_INTERVAL_MS = 3000;
/** The shortest interval accepted (tests use a few hundred milliseconds). */
export const MIN_DEVICE_INTERVAL_MS = 50;
/** The longest interval accepted: one hour. */
export const MAX_DEVICE_INTERVAL_MS = 3_600_000;

// One topic level that is also safe in an ARN and a log line.
const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Options of the simulated device. */
export interface SimulatedDeviceOptions {
  /**
   * Milliseconds between two readings, {@link MIN_DEVICE_INTERVAL_MS}..{@link MAX_DEVICE_INTERVAL_MS}.
   * @default 3000
   */
  readonly intervalMs?: number;
  /**
   * The device's name: its topic is `telemetry/<deviceId>`. 1–64 of `A-Z a-z 0-9 _ -`.
   * @default 'sensor-1'
   */
  readonly deviceId?: string;
}

/** One reading, as published (JSON). */
export interface TelemetryReading {
  /** The device's name. */
  readonly device: string;
  /** Degrees Celsius, one decimal. */
  readonly temperature: number;
  /** When it was measured, ISO-8601 (the stack's clock). */
  readonly at: string;
}

/** The topic a device publishes its readings to. */
export function telemetryTopic(deviceId: string): string {
  return `telemetry/${deviceId}`;
}

/**
 * The AWS IoT policy the device's certificate would carry: `iot:Publish` on its own telemetry topic,
 * nothing else (it subscribes to nothing, and no user may publish as it).
 */
export function devicePolicy(scope: IotResourceScope, deviceId: string): ParsedPolicy {
  return parsePolicy({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: iotArn(scope, `topic/${telemetryTopic(deviceId)}`) }],
  });
}

/**
 * The `sequence`-th reading: a slow, deterministic swing around 21 °C (no randomness, so a test or a
 * screenshot shows the same values every run).
 */
export function telemetryReading(deviceId: string, sequence: number, at: Date): TelemetryReading {
  const temperature = Math.round((21.4 + 1.5 * Math.sin(sequence / 5)) * 10) / 10;
  return { device: deviceId, temperature, at: at.toISOString() };
}

/**
 * Checks the options and fills in the defaults.
 * @throws RangeError naming the option and the value received
 */
export function resolveDeviceOptions(options: SimulatedDeviceOptions): Required<SimulatedDeviceOptions> {
  const intervalMs = options.intervalMs ?? DEFAULT_DEVICE_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_DEVICE_INTERVAL_MS || intervalMs > MAX_DEVICE_INTERVAL_MS) {
    throw new RangeError(`simulatedDevice.intervalMs must be a whole number of milliseconds from ${MIN_DEVICE_INTERVAL_MS} to ${MAX_DEVICE_INTERVAL_MS} (received ${String(options.intervalMs)})`);
  }
  const deviceId = options.deviceId ?? DEFAULT_DEVICE_ID;
  if (!DEVICE_ID.test(deviceId)) {
    throw new RangeError(`simulatedDevice.deviceId must be 1-64 characters of A-Z a-z 0-9 _ - (received ${JSON.stringify(deviceId)})`);
  }
  return { intervalMs, deviceId };
}

/** Where the device publishes: the gateway (or a test double). */
export type DevicePublisher = Pick<IotGateway, 'publishAs'>;

/** A running simulated device. Start it with {@link SimulatedDevice.start}; {@link SimulatedDevice.stop} ends it. */
export class SimulatedDevice {
  readonly #timer: NodeJS.Timeout;
  readonly #principal: InProcessPrincipal;
  readonly #publisher: DevicePublisher;
  readonly #now: () => Date;
  readonly #log: (line: string) => void;
  #sequence = 0;
  #failed = false;
  /** The device's name. */
  readonly deviceId: string;
  /** Where its readings go: `telemetry/<deviceId>`. */
  readonly topic: string;
  /** Milliseconds between readings. */
  readonly intervalMs: number;

  private constructor(publisher: DevicePublisher, scope: IotResourceScope, options: Required<SimulatedDeviceOptions>, now: () => Date, log: (line: string) => void) {
    this.deviceId = options.deviceId;
    this.topic = telemetryTopic(options.deviceId);
    this.intervalMs = options.intervalMs;
    this.#publisher = publisher;
    this.#now = now;
    this.#log = log;
    this.#principal = { name: options.deviceId, permissions: iotPermissions(scope, [devicePolicy(scope, options.deviceId)]) };
    this.#timer = setInterval(() => void this.#publish(), options.intervalMs);
    // The stack's servers keep a process alive; a forgotten device alone must not.
    this.#timer.unref();
  }

  /**
   * Starts publishing, the first reading one interval from now.
   * @throws RangeError for an invalid option (see {@link resolveDeviceOptions})
   */
  static start(settings: {
    readonly publisher: DevicePublisher;
    readonly scope: IotResourceScope;
    readonly options: SimulatedDeviceOptions;
    readonly now: () => Date;
    readonly log: (line: string) => void;
  }): SimulatedDevice {
    const options = resolveDeviceOptions(settings.options);
    const device = new SimulatedDevice(settings.publisher, settings.scope, options, settings.now, settings.log);
    settings.log(`Simulated device ${logValue(device.deviceId)} publishes to ${logValue(device.topic)} every ${device.intervalMs} ms`);
    return device;
  }

  /** How many readings were published so far. */
  get published(): number {
    return this.#sequence;
  }

  /** Stops publishing. Safe to call twice. */
  stop(): void {
    clearInterval(this.#timer);
  }

  async #publish(): Promise<void> {
    const reading = telemetryReading(this.deviceId, this.#sequence, this.#now());
    try {
      if (await this.#publisher.publishAs(this.#principal, this.topic, JSON.stringify(reading))) this.#sequence++;
    } catch (error) {
      // Said once, not every few seconds.
      if (!this.#failed) this.#log(`Simulated device ${logValue(this.deviceId)} could not publish: ${error instanceof Error ? error.message : String(error)}`);
      this.#failed = true;
    }
  }
}
