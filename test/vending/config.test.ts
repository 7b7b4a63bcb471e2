import { describe, expect, it } from 'vitest';
import { parseConfig, type Environment } from '../../lambda/vending/config.js';
import { ConfigurationError } from '../../lambda/vending/errors.js';
import { COGNITO_ENV } from './helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/mqtt/client-role';
const BASE: Environment = Object.freeze({ IOT_ENDPOINT: ENDPOINT, ...COGNITO_ENV });

function configError(env: Environment): ConfigurationError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('parseConfig accepted the environment');
}

describe('parseConfig', () => {
  it('defaults to shared scope, the region the endpoint names, 300 s URLs and users/${sub}/*', () => {
    const config = parseConfig(BASE);
    expect(config.scope).toEqual({ kind: 'shared' });
    expect(config.target).toEqual({ host: ENDPOINT, protocol: 'wss', region: 'eu-west-1', expiresIn: 300, signingDate: undefined });
    expect(config.urlTtlSeconds).toBe(300);
    expect(config.templates).toEqual({ publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*'] });
    expect(config.groups).toEqual({ prefix: undefined, max: 4 });
    expect(config.allowRetain).toBe(false);
  });

  it('reads the fairness and metrics settings, with their defaults', () => {
    expect(parseConfig(BASE)).toMatchObject({ rateLimit: { perSecond: 1, burst: 5 }, metricsService: 'aws-signv4-mqtt' });
    expect(parseConfig({ ...BASE, USER_RATE_PER_SECOND: '0.5', USER_RATE_BURST: '10', METRICS_SERVICE: 'Stack/Mqtt' })).toMatchObject({
      rateLimit: { perSecond: 0.5, burst: 10 },
      metricsService: 'Stack/Mqtt',
    });
    expect(parseConfig({ ...BASE, USER_RATE_PER_SECOND: '0' }).rateLimit.perSecond).toBe(0);
    // What the construct writes for a tiny rate (String(1e-7)), the function accepts.
    expect(parseConfig({ ...BASE, USER_RATE_PER_SECOND: String(1e-7) }).rateLimit.perSecond).toBe(1e-7);
  });

  it('reads the group and retain settings', () => {
    const config = parseConfig({ ...BASE, PUBLISH_TOPIC_TEMPLATES: '["rooms/${group}/*"]', GROUP_PREFIX: 'app-', MAX_GROUPS: '2', ALLOW_RETAIN: 'true' });
    expect(config.groups).toEqual({ prefix: 'app-', max: 2 });
    expect(config.allowRetain).toBe(true);
    expect(parseConfig({ ...BASE, GROUP_PREFIX: '', ALLOW_RETAIN: 'false' })).toMatchObject({ groups: { prefix: undefined }, allowRetain: false });
  });

  it('accepts private, group and shared templates side by side when they cannot overlap', () => {
    const config = parseConfig({
      ...BASE,
      CLIENT_ROLE_ARN: ROLE,
      PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*"]',
      SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*","telemetry/*"]',
    });
    expect(config.templates.subscribe).toEqual(['users/${sub}/*', 'rooms/${group}/*', 'lobby/*', 'telemetry/*']);
  });

  it.each<[string, Environment, string, RegExp]>([
    // The attack shown end to end on the local stack: bob's topic under alice's grant.
    [
      'a * before ${sub}',
      { PUBLISH_TOPIC_TEMPLATES: '["tenants/*/users/${sub}/*"]', SUBSCRIBE_TOPIC_TEMPLATES: '["tenants/*/users/${sub}/*"]' },
      'PUBLISH_TOPIC_TEMPLATES',
      /PUBLISH_TOPIC_TEMPLATES\[0\] "tenants\/\*\/users\/\$\{sub\}\/\*" has a \* before \$\{sub\}.*the topic "tenants\/[^"]*users\/alice[^"]*" is granted both to the user whose sub is "alice" and to the user whose sub is "bob"/,
    ],
    ['a * level before ${sub}', { SUBSCRIBE_TOPIC_TEMPLATES: '["*/${sub}/*"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /SUBSCRIBE_TOPIC_TEMPLATES\[0\] "\*\/\$\{sub\}\/\*" has a \* before \$\{sub\}/],
    ['a * before ${group}', { SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","org/*/${group}/*"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /has a \* before \$\{group\}/],
    [
      'a private prefix that is a level-prefix of another',
      { PUBLISH_TOPIC_TEMPLATES: '["${sub}/*","inbox/${sub}"]' },
      'PUBLISH_TOPIC_TEMPLATES',
      /PUBLISH_TOPIC_TEMPLATES\[\d\] "(inbox\/)?\$\{sub\}(\/\*)?" and PUBLISH_TOPIC_TEMPLATES\[\d\] .* overlap: the topic "inbox\/x" .*"inbox"/,
    ],
    [
      'a shared template over private topics',
      { PUBLISH_TOPIC_TEMPLATES: '["users/*"]', SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*"]' },
      'PUBLISH_TOPIC_TEMPLATES',
      /PUBLISH_TOPIC_TEMPLATES\[0\] "users\/\*" and SUBSCRIBE_TOPIC_TEMPLATES\[0\] "users\/\$\{sub\}\/\*" overlap: the topic "users\/x\/[^"]*" is granted by "users\/\*" to every signed-in user/,
    ],
    [
      'a group template over private topics',
      { PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","users/${group}/*"]' },
      'PUBLISH_TOPIC_TEMPLATES',
      /"users\/\$\{group\}\/\*" .* overlap: .* to the members of group "x"/,
    ],
    ['a shared template over group rooms', { SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/*","rooms/${group}/*"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /"rooms\/\*" and .*"rooms\/\$\{group\}\/\*" overlap/],
    ['GROUP_PREFIX without any ${group} template', { GROUP_PREFIX: 'team-' }, 'GROUP_PREFIX', /only applies to \$\{group\} templates, and no publish or subscribe template holds \$\{group\}.*\(received "team-"\)/],
    ['GROUP_PREFIX with a wildcard', { GROUP_PREFIX: 'team*' }, 'GROUP_PREFIX', /must be 1-39 characters of A-Z a-z 0-9 _ \. : @ -.*\(received "team\*"\)/],
    ['GROUP_PREFIX with a slash', { GROUP_PREFIX: 'a/b' }, 'GROUP_PREFIX', /received "a\/b"/],
    ['GROUP_PREFIX too long', { GROUP_PREFIX: 'p'.repeat(65) }, 'GROUP_PREFIX', /1-39 characters/],
    ['MAX_GROUPS of 0', { MAX_GROUPS: '0' }, 'MAX_GROUPS', /1\.\.20 \(received "0"\)/],
    ['MAX_GROUPS of 21', { MAX_GROUPS: '21' }, 'MAX_GROUPS', /received "21"/],
    ['ALLOW_RETAIN of yes', { ALLOW_RETAIN: 'yes' }, 'ALLOW_RETAIN', /must be true or false \(received "yes"\)/],
    ['ALLOW_RETAIN of TRUE', { ALLOW_RETAIN: 'TRUE' }, 'ALLOW_RETAIN', /received "TRUE"/],
    ['USER_RATE_PER_SECOND in exponent form below zero', { USER_RATE_PER_SECOND: '-1e-7' }, 'USER_RATE_PER_SECOND', /received "-1e-7"/],
    ['USER_RATE_PER_SECOND negative', { USER_RATE_PER_SECOND: '-1' }, 'USER_RATE_PER_SECOND', /from 0 \(off\) to 1000.*received "-1"/],
    ['USER_RATE_PER_SECOND over the maximum', { USER_RATE_PER_SECOND: '1001' }, 'USER_RATE_PER_SECOND', /received "1001"/],
    ['USER_RATE_PER_SECOND not a number', { USER_RATE_PER_SECOND: 'fast' }, 'USER_RATE_PER_SECOND', /received "fast"/],
    ['USER_RATE_BURST of 0', { USER_RATE_BURST: '0' }, 'USER_RATE_BURST', /1\.\.1000 \(received "0"\)/],
    ['METRICS_SERVICE with a space', { METRICS_SERVICE: 'my service' }, 'METRICS_SERVICE', /received "my service"/],
    ['METRICS_SERVICE with a quote', { METRICS_SERVICE: 'a"b' }, 'METRICS_SERVICE', /received/],
  ])('refuses %s at cold start, naming the variable, both templates and a topic both reach', (_label, env, variable, message) => {
    const error = configError({ ...BASE, CLIENT_ROLE_ARN: ROLE, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it('takes per-user scope from CLIENT_ROLE_ARN, with its partition and account', () => {
    const config = parseConfig({ ...BASE, CLIENT_ROLE_ARN: ROLE, AWS_REGION: 'eu-central-1' });
    expect(config.scope).toEqual({
      kind: 'per-user',
      roleArn: ROLE,
      arn: { partition: 'aws', account: '123456789012', region: 'eu-west-1' },
      sessionDurationSeconds: 3600,
      sessionCacheSize: 10_000,
      stsRegion: 'eu-central-1',
    });
  });

  it('reads every optional variable', () => {
    const config = parseConfig({
      // No user pools in the China regions: issuer mode.
      IDENTITY_MODE: 'oidc',
      ISSUER_URL: 'https://keycloak.example.cn/realms/demo',
      AUDIENCES: 'mqtt-app',
      IOT_ENDPOINT: 'iot.example.cn:8443',
      IOT_REGION: 'cn-north-1',
      CLIENT_ROLE_ARN: 'arn:aws-cn:iam::210987654321:role/client',
      URL_TTL_SECONDS: '900',
      SESSION_DURATION_SECONDS: '1800',
      SESSION_CACHE_SIZE: '50',
      PUBLISH_TOPIC_TEMPLATES: '["devices/${sub}/up"]',
      SUBSCRIBE_TOPIC_TEMPLATES: '["devices/${sub}/down/*","broadcast/${sub}"]',
    });
    expect(config.target).toMatchObject({ host: 'iot.example.cn:8443', region: 'cn-north-1', expiresIn: 900 });
    expect(config.templates).toEqual({ publish: ['devices/${sub}/up'], subscribe: ['devices/${sub}/down/*', 'broadcast/${sub}'] });
    expect(config.scope).toMatchObject({ arn: { partition: 'aws-cn', account: '210987654321', region: 'cn-north-1' }, sessionDurationSeconds: 1800, sessionCacheSize: 50, stsRegion: 'cn-north-1' });
  });

  it('signs ws:// for a loopback endpoint, taking the region from AWS_REGION', () => {
    const config = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: '127.0.0.1:3000', AWS_REGION: 'us-east-1' });
    expect(config.target).toMatchObject({ host: '127.0.0.1:3000', protocol: 'ws', region: 'us-east-1' });
  });

  it('accepts every template the CDK construct accepts, up to 8 per list', () => {
    const eight = JSON.stringify(Array.from({ length: 8 }, (_, i) => `t${i}/\${sub}/*`));
    const config = parseConfig({ ...BASE, PUBLISH_TOPIC_TEMPLATES: eight, SUBSCRIBE_TOPIC_TEMPLATES: '["${sub}","a/${sub}/b/*/c","x/${sub}/y"]' });
    expect(config.templates.publish).toHaveLength(8);
    expect(config.templates.subscribe).toEqual(['${sub}', 'a/${sub}/b/*/c', 'x/${sub}/y']);
  });

  it.each<[string, Environment, string, RegExp]>([
    ['IOT_ENDPOINT missing', {}, 'IOT_ENDPOINT', /is required/],
    ['IOT_ENDPOINT with a scheme', { IOT_ENDPOINT: `https://${ENDPOINT}` }, 'IOT_ENDPOINT', /bare host/],
    ['IOT_ENDPOINT with a path', { IOT_ENDPOINT: `${ENDPOINT}/mqtt` }, 'IOT_ENDPOINT', /bare host/],
    ['IOT_ENDPOINT empty', { IOT_ENDPOINT: '', AWS_REGION: 'eu-west-1' }, 'IOT_ENDPOINT', /bare host/],
    ['no region anywhere', { IOT_ENDPOINT: 'iot.example.com' }, 'IOT_REGION', /IOT_ENDPOINT names no region/],
    ['a malformed IOT_REGION', { ...BASE, IOT_REGION: 'Europe' }, 'IOT_REGION', /"Europe"/],
    ['IOT_REGION contradicting the endpoint', { ...BASE, IOT_REGION: 'us-east-1' }, 'IOT_REGION', /must match the region IOT_ENDPOINT names \(eu-west-1\)/],
    ['a malformed AWS_REGION', { IOT_ENDPOINT: 'iot.example.com', AWS_REGION: 'moon' }, 'AWS_REGION', /"moon"/],
    ['URL_TTL_SECONDS of 0', { ...BASE, URL_TTL_SECONDS: '0' }, 'URL_TTL_SECONDS', /1\.\.900 \(received "0"\)/],
    ['URL_TTL_SECONDS of 901', { ...BASE, URL_TTL_SECONDS: '901' }, 'URL_TTL_SECONDS', /received "901"/],
    ['URL_TTL_SECONDS not a whole number', { ...BASE, URL_TTL_SECONDS: '5.5' }, 'URL_TTL_SECONDS', /received "5.5"/],
    ['URL_TTL_SECONDS empty', { ...BASE, URL_TTL_SECONDS: '' }, 'URL_TTL_SECONDS', /received ""/],
    ['URL_TTL_SECONDS with units', { ...BASE, URL_TTL_SECONDS: '300s' }, 'URL_TTL_SECONDS', /received "300s"/],
    ['CLIENT_ROLE_ARN empty', { ...BASE, CLIENT_ROLE_ARN: '' }, 'CLIENT_ROLE_ARN', /or unset for shared scope \(received ""\)/],
    ['CLIENT_ROLE_ARN of a user', { ...BASE, CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:user/bob' }, 'CLIENT_ROLE_ARN', /user\/bob/],
    ['CLIENT_ROLE_ARN with a short account', { ...BASE, CLIENT_ROLE_ARN: 'arn:aws:iam::1234:role/x' }, 'CLIENT_ROLE_ARN', /1234/],
    ['CLIENT_ROLE_ARN a wildcard', { ...BASE, CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:role/*' }, 'CLIENT_ROLE_ARN', /role\/\*/],
    ['SESSION_DURATION_SECONDS of 899', { ...BASE, CLIENT_ROLE_ARN: ROLE, SESSION_DURATION_SECONDS: '899' }, 'SESSION_DURATION_SECONDS', /900\.\.3600/],
    ['SESSION_DURATION_SECONDS of 3601', { ...BASE, CLIENT_ROLE_ARN: ROLE, SESSION_DURATION_SECONDS: '3601' }, 'SESSION_DURATION_SECONDS', /3601/],
    [
      'a session too short for the URL TTL',
      { ...BASE, CLIENT_ROLE_ARN: ROLE, SESSION_DURATION_SECONDS: '900', URL_TTL_SECONDS: '900' },
      'SESSION_DURATION_SECONDS',
      /must exceed URL_TTL_SECONDS \+ 60 \(960\)/,
    ],
    ['SESSION_CACHE_SIZE of 0', { ...BASE, CLIENT_ROLE_ARN: ROLE, SESSION_CACHE_SIZE: '0' }, 'SESSION_CACHE_SIZE', /received "0"/],
    ['templates that are not JSON', { ...BASE, PUBLISH_TOPIC_TEMPLATES: 'users/${sub}/*' }, 'PUBLISH_TOPIC_TEMPLATES', /JSON array/],
    ['templates that are not an array', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '"users/${sub}/*"' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /JSON array/],
    ['a template that is not a string', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '[42]' }, 'PUBLISH_TOPIC_TEMPLATES', /entry 0 must be a non-empty string \(received 42\)/],
    ['an empty template', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}", ""]' }, 'PUBLISH_TOPIC_TEMPLATES', /entry 1 must be a non-empty string/],
    ['a template with ${sub} twice', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '["x/${sub}/y/${sub}"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /at most one variable/],
    ['a template with ${sub} and ${group}', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '["x/${sub}/${group}"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /at most one variable/],
    ['${group} inside a level', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '["rooms/g-${group}"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /must use \$\{group\} as a whole topic level/],
    ['a template with another placeholder', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/${aws:username}"]' }, 'PUBLISH_TOPIC_TEMPLATES', /policy variables other than \$\{sub\}/],
    ['a template with a control character', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/\\n"]' }, 'PUBLISH_TOPIC_TEMPLATES', /control characters/],
    ['a template with DEL', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/\\u007f"]' }, 'PUBLISH_TOPIC_TEMPLATES', /control characters/],
    // ${sub}* would give user a the topics of user ab.
    ['${sub} followed by *', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}*"]' }, 'PUBLISH_TOPIC_TEMPLATES', /entry 0 must use \$\{sub\} as a whole topic level.*\(received "users\/\$\{sub\}\*"\)/],
    ['${sub} inside a level', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '["users/id-${sub}/x"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /whole topic level/],
    ['IAM\'s ? wildcard', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '["u/${sub}?/*"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /must not contain \?, which IAM treats as a single-character wildcard/],
    ['MQTT\'s + wildcard', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["chat/${sub}/+"]' }, 'PUBLISH_TOPIC_TEMPLATES', /MQTT wildcards \+ or #.*use the IAM wildcard \*/],
    ['MQTT\'s # wildcard', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/#"]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /MQTT wildcards \+ or #/],
    ['white space', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/a b"]' }, 'PUBLISH_TOPIC_TEMPLATES', /must not contain white space/],
    ['a no-break space', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/a\\u00a0b"]' }, 'PUBLISH_TOPIC_TEMPLATES', /must not contain white space/],
    ['a non-Latin-1 character', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/€"]' }, 'PUBLISH_TOPIC_TEMPLATES', /Latin-1/],
    ['more than 7 slashes', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["a/b/c/d/e/f/g/${sub}/*"]' }, 'PUBLISH_TOPIC_TEMPLATES', /at most 7 slashes/],
    ['over 256 bytes', { ...BASE, PUBLISH_TOPIC_TEMPLATES: JSON.stringify([`t/${'é'.repeat(125)}/\${sub}`]) }, 'PUBLISH_TOPIC_TEMPLATES', /at most 256 bytes/],
    ['an empty list', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '[]' }, 'PUBLISH_TOPIC_TEMPLATES', /must hold 1\.\.8 topic templates \(received "\[\]"\)/],
    // sessionPolicyFor relies on this: every statement of a session policy has resources.
    ['an empty subscribe list', { ...BASE, CLIENT_ROLE_ARN: ROLE, SUBSCRIBE_TOPIC_TEMPLATES: '[]' }, 'SUBSCRIBE_TOPIC_TEMPLATES', /must hold 1\.\.8 topic templates \(received "\[\]"\)/],
    ['9 templates', { ...BASE, SUBSCRIBE_TOPIC_TEMPLATES: JSON.stringify(Array.from({ length: 9 }, (_, i) => `t${i}/\${sub}`)) }, 'SUBSCRIBE_TOPIC_TEMPLATES', /1\.\.8/],
    ['a later bad entry', { ...BASE, PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","users/${sub}/#"]' }, 'PUBLISH_TOPIC_TEMPLATES', /^PUBLISH_TOPIC_TEMPLATES: entry 1 must not contain the MQTT wildcards/],
  ])('refuses %s, naming the variable and the value', (_label, env, variable, message) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toMatch(message);
  });

  it('refuses, at cold start, templates whose session policy would exceed 2048 characters for a 128-character sub', () => {
    const many = JSON.stringify(['one', 'two', 'three', 'four', 'five'].map((name) => `app/${name}/\${sub}/*`));
    const error = configError({ ...BASE, CLIENT_ROLE_ARN: ROLE, PUBLISH_TOPIC_TEMPLATES: many, SUBSCRIBE_TOPIC_TEMPLATES: many });
    expect(error.variable).toBe('PUBLISH_TOPIC_TEMPLATES');
    expect(error.message).toMatch(/session policies of up to \d{4} characters \(subs of up to 128 characters\), over STS's 2048: use fewer or shorter templates/);
    // The same templates are fine in shared scope, where no session policy is sent.
    expect(parseConfig({ ...BASE, PUBLISH_TOPIC_TEMPLATES: many, SUBSCRIBE_TOPIC_TEMPLATES: many }).templates.publish).toHaveLength(5);
  });

  it('counts MAX_GROUPS groups of the longest name in the worst case, and says to lower it', () => {
    const rooms = JSON.stringify(['users/${sub}/*', 'rooms/${group}/*', 'chat/${group}/*', 'files/${group}/*', 'lobby/*']);
    const env = { ...BASE, CLIENT_ROLE_ARN: ROLE, PUBLISH_TOPIC_TEMPLATES: rooms, SUBSCRIBE_TOPIC_TEMPLATES: rooms };
    const error = configError({ ...env, MAX_GROUPS: '4' });
    expect(error.variable).toBe('PUBLISH_TOPIC_TEMPLATES');
    expect(error.message).toMatch(/\(subs of up to 128 characters, 4 groups of up to 40 characters\), over STS's 2048: lower the maximum number of groups, or use fewer or shorter templates/);
    expect(parseConfig({ ...env, MAX_GROUPS: '1' }).groups.max).toBe(1);
  });
});
