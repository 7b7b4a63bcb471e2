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
