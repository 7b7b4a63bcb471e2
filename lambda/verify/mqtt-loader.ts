/**
 * Loads `mqtt` (mqtt.js), an optional peer dependency of the package, only when `verify` runs: the
 * signer CLI and the library never need it. Missing, it is a usage error with the one-liner that
 * brings it along.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { MqttPeerMissingError } from './errors.js';
import { NPX_ONE_LINER } from './verify-usage.js';

/** mqtt.js's `connect`, as verify uses it. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

/**
 * Imports mqtt.js.
 * @throws MqttPeerMissingError when it is not installed
 */
export async function loadMqtt(): Promise<MqttConnect> {
  let module: { readonly connect?: unknown; readonly default?: { readonly connect?: unknown } };
  try {
    module = (await import('mqtt')) as typeof module;
  } catch (error) {
    throw missingMqtt(error);
  }
  const connect = typeof module.connect === 'function' ? module.connect : module.default?.connect;
  if (typeof connect !== 'function') throw missingMqtt(new Error('the installed mqtt has no connect()'));
  return connect as MqttConnect;
}

/** The usage error for a missing (or unusable) `mqtt`. */
export function missingMqtt(cause: unknown): MqttPeerMissingError {
  return new MqttPeerMissingError(
    `verify needs the mqtt package (mqtt.js 5), an optional peer dependency that is not installed here: install it next to aws-signv4-mqtt (npm install mqtt), or run ${NPX_ONE_LINER}`,
    { cause },
  );
}
