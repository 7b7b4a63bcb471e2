/**
 * AWS region names, and region inference from an AWS IoT data endpoint name. One definition, so the
 * signer, the CLI, the CDK construct and the demo page agree on what a region looks like.
 */

// Two to four letter prefix, one or more words, a number: us-east-1, us-gov-west-1, cn-north-1,
// us-isob-east-1, eusc-de-east-1.
const REGION_NAME = '[a-z]{2,4}(?:-[a-z]+)+-\\d{1,2}';
const REGION = new RegExp(`^${REGION_NAME}$`);
// Data endpoints look like `<prefix>-ats.iot.<region>.amazonaws.com` (`.amazonaws.com.cn` in China).
const IOT_ENDPOINT = new RegExp(`\\.iot\\.(${REGION_NAME})\\.amazonaws\\.com(?:\\.cn)?(?::\\d+)?$`, 'i');
// Cognito user pool ids are `<region>_<suffix>`.
const USER_POOL_ID = new RegExp(`^(${REGION_NAME})_[0-9A-Za-z]+$`);

/** Whether `value` has the shape of an AWS region name. */
export function isRegionName(value: string): boolean {
  return REGION.test(value);
}

/** The region named in an AWS IoT endpoint, or `undefined` when the host does not name one. */
export function regionFromIotEndpoint(host: string): string | undefined {
  return IOT_ENDPOINT.exec(host)?.[1]?.toLowerCase();
}

/** The region of a Cognito user pool id (`eu-west-1_AbCdEf123`), or `undefined` for another shape. */
export function regionFromUserPoolId(userPoolId: string): string | undefined {
  return USER_POOL_ID.exec(userPoolId)?.[1];
}
