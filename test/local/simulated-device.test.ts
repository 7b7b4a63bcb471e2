/**
 * The simulated device on its own: its readings, its IoT policy (its own telemetry topic only),
 * its options, and that `stop()` stops it. (Over MQTT, with users receiving: grants.e2e.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InProcessPrincipal } from '../../local/iot-gateway.js';
import { iotPermissions } from '../../local/iot-permissions.js';
import { devicePolicy, resolveDeviceOptions, SimulatedDevice, telemetryReading } from '../../local/simulated-device.js';

const scope = { partition: 'aws', region: 'us-east-1', account: '000000000000' };
const devices: SimulatedDevice[] = [];

afterEach(() => {
  for (const device of devices.splice(0)) device.stop();
});

/** A publisher that applies the principal's policy, as the gateway does, and records what passed. */
function recordingPublisher(): { published: { principal: string; topic: string; payload: string }[]; publishAs: (principal: InProcessPrincipal, topic: string, payload: Buffer | string) => Promise<boolean> } {
  const published: { principal: string; topic: string; payload: string }[] = [];
  return {
    published,
    publishAs: async (principal, topic, payload) => {
      if (principal.permissions.publish(topic, false) !== 'allow') return false;
      published.push({ principal: principal.name, topic, payload: payload.toString() });
      return true;
    },
  };
}

describe('simulated device', () => {
  it('publishes JSON readings to telemetry/<device> at its interval, with the stack clock, until stopped', async () => {
    const publisher = recordingPublisher();
    const lines: string[] = [];
    const at = new Date('2030-01-02T03:04:05.678Z');
    const device = SimulatedDevice.start({ publisher, scope, options: { intervalMs: 50 }, now: () => at, log: (line) => lines.push(line) });
    devices.push(device);
    expect(lines).toEqual(['Simulated device "sensor-1" publishes to "telemetry/sensor-1" every 50 ms']);
    await expect.poll(() => publisher.published.length, { interval: 20, timeout: 2000 }).toBeGreaterThanOrEqual(2);
    device.stop();
    const count = publisher.published.length;
    expect(device.published).toBe(count);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(publisher.published.length).toBe(count);
    expect(publisher.published[0]).toEqual({ principal: 'sensor-1', topic: 'telemetry/sensor-1', payload: '{"device":"sensor-1","temperature":21.4,"at":"2030-01-02T03:04:05.678Z"}' });
  });

  it('gives readings that move slowly around 21 °C, one decimal', () => {
    const temperatures = Array.from({ length: 40 }, (_, n) => telemetryReading('sensor-1', n, new Date(0)).temperature);
    for (const temperature of temperatures) {
      expect(temperature).toBeGreaterThanOrEqual(19.9);
      expect(temperature).toBeLessThanOrEqual(22.9);
      expect(Math.round(temperature * 10) / 10).toBe(temperature);
    }
    expect(new Set(temperatures).size).toBeGreaterThan(5);
  });

  it("is allowed by its IoT policy to publish to its own telemetry topic and nothing else", () => {
    const permissions = iotPermissions(scope, [devicePolicy(scope, 'sensor-1')]);
    expect(permissions.publish('telemetry/sensor-1', false)).toBe('allow');
    expect(permissions.publish('telemetry/sensor-2', false)).toBe('implicit-deny');
    expect(permissions.publish('telemetry/sensor-1/x', false)).toBe('implicit-deny');
    expect(permissions.publish('telemetry/sensor-1', true)).toBe('implicit-deny');
    expect(permissions.subscribe('telemetry/#')).toBe('implicit-deny');
    expect(permissions.receive('telemetry/sensor-1')).toBe('implicit-deny');
  });

  it.each<[string, object, string]>([
    ['a too short interval', { intervalMs: 10 }, 'simulatedDevice.intervalMs must be a whole number of milliseconds from 50 to 3600000 (received 10)'],
    ['a fractional interval', { intervalMs: 200.5 }, 'simulatedDevice.intervalMs must be a whole number of milliseconds from 50 to 3600000 (received 200.5)'],
    ['a device id with a slash', { deviceId: 'a/b' }, 'simulatedDevice.deviceId must be 1-64 characters of A-Z a-z 0-9 _ - (received "a/b")'],
    ['a device id with a wildcard', { deviceId: '*' }, 'simulatedDevice.deviceId must be 1-64 characters of A-Z a-z 0-9 _ - (received "*")'],
  ])('refuses %s, naming the option', (_name, options, message) => {
    expect(() => resolveDeviceOptions(options)).toThrow(new RangeError(message));
  });

  it('defaults to sensor-1 every 3 s', () => {
    expect(resolveDeviceOptions({})).toEqual({ intervalMs: 3000, deviceId: 'sensor-1' });
  });
});
