/**
 * `aws-signv4-mqtt/cdk`: the `MqttUrlVending` construct for your own CDK app. Its Lambda ships
 * prebuilt in the package, so synth needs only `aws-cdk-lib` and `constructs` (peer dependencies).
 *
 * ```ts
 * import { MqttUrlVending } from 'aws-signv4-mqtt/cdk';
 * const vending = new MqttUrlVending(this, 'Mqtt', { userPool, userPoolClients: [client], allowedOrigins: ['https://app.example.com'] });
 * // or, with any OIDC issuer (no user pool):
 * new MqttUrlVending(this, 'Mqtt', { issuer: { url: 'https://example.us.auth0.com/', audiences: ['https://mqtt.example.com'] } });
 * ```
 */
export { MqttUrlVending, type MqttUrlVendingProps } from './mqtt-url-vending.js';
export type { IotPolicyIdentity, TopicNamespace } from './iot-permissions.js';
export type { IdentityMode, MqttUrlVendingIssuer, UserPoolIssuer } from './vending-identity.js';
export type { VendingScope } from './vending-settings.js';
export type { VendingAlarmThresholds, VendingAlarms } from './vending-monitoring.js';
export { InvalidVendingConfigError } from './config-error.js';
