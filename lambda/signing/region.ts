/**
 * Region inference from an AWS IoT data endpoint name, shared by the CLI and the default-chain
 * signer so both pick the same region for the same endpoint.
 */

// Data endpoints look like `<prefix>-ats.iot.<region>.amazonaws.com` (`.amazonaws.com.cn` in China).
const IOT_ENDPOINT = /\.iot\.([a-z]{2,4}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(?:\.cn)?(?::\d+)?$/i;

/** The region named in an AWS IoT endpoint, or `undefined` when the host does not name one. */
export function regionFromIotEndpoint(host: string): string | undefined {
  return IOT_ENDPOINT.exec(host)?.[1]?.toLowerCase();
}
