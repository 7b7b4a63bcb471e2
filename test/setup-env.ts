/**
 * Runs before every test file: no test may reach the instance metadata address or a real AWS
 * endpoint, and none may pick up the developer's own credentials or profile by accident.
 */
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION']) {
  delete process.env[name];
}
// Point shared config lookups at files that do not exist, so ~/.aws never leaks into a test.
process.env['AWS_CONFIG_FILE'] = '/nonexistent/aws-signv4-mqtt-test/config';
process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/aws-signv4-mqtt-test/credentials';

// The AWS SDK warns once per process, on stderr, that its releases from January 2027 on need Node 22;
// the package supports Node 20.19 until then (README "Package notes"). Tests only: shipped code
// leaves the warning to the user. The variable is the SDK's own (@aws-sdk/core,
// emitWarningIfUnsupportedVersion); test/run.sh exports it for child processes too.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

// Handlers built without a `metrics` sink write their CloudWatch EMF lines (`{"_aws":…}`) to stdout,
// as on Lambda, where they would be mixed into the test report. Route those whole lines to a sink;
// every other write passes through, and a test that spies on `process.stdout.write` still sees them.
const EMF_LINE = /^\{"_aws":\{"Timestamp":\d+,"CloudWatchMetrics":/;
const SINK_INSTALLED = Symbol.for('aws-signv4-mqtt.test.emf-sink');
const stdout = process.stdout as typeof process.stdout & { [SINK_INSTALLED]?: true };
if (stdout[SINK_INSTALLED] !== true) {
  stdout[SINK_INSTALLED] = true;
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk !== 'string' || !chunk.endsWith('\n')) return write(chunk, ...rest);
    const kept = chunk.split('\n').filter((line) => !EMF_LINE.test(line)).join('\n');
    if (kept.trim() !== '') return write(kept, ...rest);
    (rest.find((arg) => typeof arg === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof process.stdout.write;
}
