/**
 * The package entry: SigV4-presigned MQTT-over-WebSocket URLs for AWS IoT Core.
 *
 * @example
 * ```ts
 * import { signMqttUrl } from 'aws-signv4-mqtt';
 * const url = signMqttUrl({ host: 'abc123-ats.iot.us-east-1.amazonaws.com', region: 'us-east-1', credentials });
 * ```
 */
export { signMqttUrl, DEFAULT_EXPIRES_IN, IOT_SERVICE, type SignMqttUrlOptions } from './signing/sign-mqtt-url.js';
export {
  signMqttUrlFromDefaultCredentials,
  resolveRegion,
  type SignMqttUrlFromDefaultCredentialsOptions,
} from './signing/default-credentials.js';
export { regionFromIotEndpoint } from './signing/region.js';
export { InvalidSigningOptionError, CredentialsNotFoundError } from './signing/errors.js';
export { MAX_EXPIRES_IN, MIN_EXPIRES_IN, type SigningCredentials, type MqttUrlProtocol } from './signing/validate.js';
export { principalIdFor, InvalidPrincipalInputError, MAX_PRINCIPAL_SUB_LENGTH, type PrincipalInput } from './vending/principal-id.js';
