/**
 * The one error the CDK side throws for bad configuration, whether it came from construct props or
 * from CDK context. It names the setting and shows the value received, so `cdk synth` tells the
 * operator exactly what to fix before anything is deployed.
 */
import { brandErrorClass } from '../lambda/signing/error-brand.js';

/** A construct prop or context key that failed validation. */
export class InvalidVendingConfigError extends Error {
  override readonly name = 'InvalidVendingConfigError';

  /**
   * @param setting - the prop (`urlTtl`) or context key (`context "urlTtlSeconds"`) at fault
   * @param requirement - what the value must be, phrased to follow the setting name
   * @param received - the offending value, rendered with {@link describeReceived}
   */
  constructor(
    readonly setting: string,
    readonly requirement: string,
    readonly received: string,
    options?: ErrorOptions,
  ) {
    super(`${setting} ${requirement} (received ${received})`, options);
  }
}
// `instanceof` holds across the package's ES module and CommonJS copies.
brandErrorClass(InvalidVendingConfigError, 'InvalidVendingConfigError');

const MAX_RENDERED_LENGTH = 200;

/**
 * Renders a received value for an error message: strings quoted, objects as JSON, long values
 * truncated so a pasted template cannot flood the terminal.
 */
export function describeReceived(value: unknown): string {
  let rendered: string;
  if (value === undefined) rendered = 'undefined';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') rendered = String(value);
  else {
    try {
      rendered = JSON.stringify(value) ?? String(value);
    } catch {
      rendered = Object.prototype.toString.call(value);
    }
  }
  return rendered.length > MAX_RENDERED_LENGTH ? `${rendered.slice(0, MAX_RENDERED_LENGTH)}…` : rendered;
}
