/**
 * Every prop and context validation: a clear error naming the setting and showing the value
 * received, thrown before any resource exists (so nothing is synthesized or bundled).
 */
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { InvalidVendingConfigError } from '../../lib/config-error.js';
import { createApp } from '../../lib/create-app.js';
import { MqttUrlVending, type MqttUrlVendingProps } from '../../lib/mqtt-url-vending.js';
import { parseConfig } from '../../lambda/vending/config.js';
import { ConfigurationError } from '../../lambda/vending/errors.js';
import { validateTopicTemplates, worstCaseSessionPolicyLength } from '../../lib/topic-templates.js';
import { validateOrigin } from '../../lib/validate-settings.js';
import { resolveVendingProps } from '../../lib/vending-settings.js';

/** Builds the construct with `props`; returns the error and how many CFN resources were left behind. */
function attempt(props: (stack: Stack) => MqttUrlVendingProps): { error: unknown; resources: number } {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
  let error: unknown;
  try {
    new MqttUrlVending(stack, 'Vending', props(stack));
  } catch (caught) {
    error = caught;
  }
  return { error, resources: stack.node.findAll().filter(CfnResource.isCfnResource).length };
}

function expectRejected(props: (stack: Stack) => MqttUrlVendingProps, setting: string, message: RegExp): void {
  const { error, resources } = attempt(props);
  expect(error).toBeInstanceOf(InvalidVendingConfigError);
  const invalid = error as InvalidVendingConfigError;
  expect(invalid.setting).toBe(setting);
  expect(invalid.message).toMatch(message);
  expect(invalid.message).toContain(`(received ${invalid.received})`);
  expect(resources, 'no resource is created for a rejected configuration').toBe(0);
}

const long = (n: number): string => `t/${'a'.repeat(n)}/\${sub}/*`;

describe('MqttUrlVending props', () => {
  it.each([
    ['urlTtl 0 s', { urlTtl: Duration.seconds(0) }, 'urlTtl', /1\.\.900.*received 0 seconds/],
    ['urlTtl 901 s', { urlTtl: Duration.seconds(901) }, 'urlTtl', /1\.\.900.*received 901 seconds/],
    ['urlTtl 1.5 s', { urlTtl: Duration.millis(1500) }, 'urlTtl', /whole number of seconds/],
    ['sessionDuration 899 s', { sessionDuration: Duration.seconds(899) }, 'sessionDuration', /900\.\.3600.*received 899 seconds/],
    ['sessionDuration 2 h', { sessionDuration: Duration.hours(2) }, 'sessionDuration', /900\.\.3600.*received 7200 seconds/],
    ['session not outliving a URL', { urlTtl: Duration.seconds(900), sessionDuration: Duration.seconds(900) }, 'sessionDuration', /exceed urlTtl \+ 60 seconds \(960\).*received 900 seconds/],
    ['sessionCacheSize 0', { sessionCacheSize: 0 }, 'sessionCacheSize', /1\.\.1000000.*received 0/],
    ['scope "global"', { scope: 'global' as never }, 'scope', /per-user, shared.*received "global"/],
    ['iotPolicyIdentity "x509"', { iotPolicyIdentity: 'x509' as never }, 'iotPolicyIdentity', /thing-name, cognito-identity.*received "x509"/],
    ['throttle rate 0', { throttle: { rateLimit: 0 } }, 'throttle.rateLimit', /greater than 0.*received 0/],
    ['throttle rate NaN', { throttle: { rateLimit: Number.NaN } }, 'throttle.rateLimit', /greater than 0/],
    ['throttle burst 0', { throttle: { burstLimit: 0 } }, 'throttle.burstLimit', /integer.*received 0/],
    ['throttle burst 1.5', { throttle: { burstLimit: 1.5 } }, 'throttle.burstLimit', /integer.*received 1.5/],
    ['log retention forever', { logRetention: RetentionDays.INFINITE }, 'logRetention', /retention in days.*received 9999/],
    ['log retention 2 days', { logRetention: 2 as RetentionDays }, 'logRetention', /one of 1, 3, 5, 7.*received 2/],
    ['origin *', { allowedOrigins: ['*'] }, 'allowedOrigins[0]', /wildcards are not allowed.*received "\*"/],
    ['origin wildcard subdomain', { allowedOrigins: ['https://*.example.com'] }, 'allowedOrigins[0]', /wildcards/],
    ['origin plain http', { allowedOrigins: ['https://ok.example.com', 'http://app.example.com'] }, 'allowedOrigins[1]', /https.*received "http:\/\/app.example.com"/],
    ['origin with a path', { allowedOrigins: ['https://app.example.com/app'] }, 'allowedOrigins[0]', /bare origin.*https:\/\/app.example.com/],
    ['origin with a trailing slash', { allowedOrigins: ['https://app.example.com/'] }, 'allowedOrigins[0]', /bare origin/],
    ['origin not a URL', { allowedOrigins: ['app.example.com'] }, 'allowedOrigins[0]', /origin such as/],
    ['endpoint with a scheme', { iotEndpoint: 'wss://abc-ats.iot.eu-west-1.amazonaws.com' }, 'iotEndpoint', /bare host name.*received "wss:/],
    ['endpoint with a port', { iotEndpoint: 'abc-ats.iot.eu-west-1.amazonaws.com:8883' }, 'iotEndpoint', /without a port/],
    ['endpoint with a path', { iotEndpoint: 'abc-ats.iot.eu-west-1.amazonaws.com/mqtt' }, 'iotEndpoint', /bare host name/],
    ['endpoint on loopback', { iotEndpoint: 'localhost' }, 'iotEndpoint', /not a loopback host/],
    ['endpoint an IP address', { iotEndpoint: '10.0.0.1' }, 'iotEndpoint', /DNS host name/],
    ['endpoint empty', { iotEndpoint: '' }, 'iotEndpoint', /bare host name.*received ""/],
  ] satisfies [string, MqttUrlVendingProps, string, RegExp][])('rejects %s', (_name, props, setting, message) => {
    expectRejected(() => props, setting, message);
  });

  it.each([
    ['two variables', ['users/${sub}/${group}'], /at most one variable/],
    ['${group} not a whole level', ['rooms/${group}*'], /whole topic level/],
    ['MQTT + wildcard', ['users/${sub}/+/status'], /MQTT wildcards \+ or #.*use the IAM wildcard \*/],
    ['MQTT # wildcard', ['users/${sub}/#'], /MQTT wildcards/],
    ['IAM ? wildcard', ['users/${sub}/?'], /single-character wildcard/],
    ['${sub} not a whole level', ['users/${sub}*'], /whole topic level/],
    ['${sub} inside a level', ['users/id-${sub}/x'], /whole topic level/],
    ['another policy variable', ['users/${sub}/${iot:ClientId}'], /policy variables other than \$\{sub\}/],
    ['white space', ['users/${sub}/a b'], /white space/],
    ['a non-Latin-1 character', ['users/${sub}/€'], /Latin-1/],
    ['more than 7 slashes', ['a/b/c/d/e/f/g/${sub}/*'], /at most 7 slashes/],
    ['over 256 bytes', [long(260)], /at most 256 bytes/],
    ['an empty template', [''], /non-empty string/],
  ])('rejects a topic template with %s', (_name, templates, message) => {
    expectRejected(() => ({ publishTopicTemplates: templates }), 'publishTopicTemplates[0]', message);
    expectRejected(() => ({ subscribeTopicTemplates: templates }), 'subscribeTopicTemplates[0]', message);
  });

  it('agrees with the Lambda on every template: what synth accepts, the function accepts, and the reverse', () => {
    const cases: unknown[][] = [
      ['users/${sub}/*'],
      ['${sub}'],
      ['a/${sub}/b/*/c', 'x/${sub}/y/${sub}'],
      ['users/${sub}*'],
      ['users/id-${sub}/x'],
      ['u/${sub}?/*'],
      ['u/${sub}/+'],
      ['u/${sub}/#'],
      ['u/${sub}/a b'],
      ['u/${sub}/a\tb'],
      ['u/${sub}/\u007f'],
      ['u/${sub}/\u0085'],
      ['u/${sub}/€'],
      ['u/${sub}/${iot:ClientId}'],
      ['u/all'],
      ['users/*'],
      ['tenants/*/users/${sub}/*'],
      ['rooms/${group}/*'],
      ['${sub}/*', 'inbox/${sub}'],
      ['a/b/c/d/e/f/g/${sub}/*'],
      [long(260)],
      [''],
      [42],
      [],
      Array.from({ length: 8 }, (_, i) => `t${i}/\${sub}`),
      Array.from({ length: 9 }, (_, i) => `t${i}/\${sub}`),
    ];
    for (const templates of cases) {
      const cdk = (() => {
        try {
          resolveVendingProps({ publishTopicTemplates: templates as string[] });
          return 'accepted';
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidVendingConfigError);
          return 'refused';
        }
      })();
      const lambda = (() => {
        try {
          parseConfig({
            IOT_ENDPOINT: 'abc-ats.iot.eu-west-1.amazonaws.com',
            CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:role/client',
            ISSUER_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
            PUBLISH_TOPIC_TEMPLATES: JSON.stringify(templates),
          });
          return 'accepted';
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError);
          return 'refused';
        }
      })();
      expect(lambda, JSON.stringify(templates)).toBe(cdk);
    }
    // Both outcomes occur, so the comparison means something.
    expect(validateTopicTemplates('p', ['users/${sub}/*'])).toEqual(['users/${sub}/*']);
    expect(() => validateTopicTemplates('p', ['users/${sub}*'])).toThrow(/whole topic level/);
  });

  it('rejects an empty or oversized template list, and a non-list', () => {
    expectRejected(() => ({ publishTopicTemplates: [] }), 'publishTopicTemplates', /1\.\.8 topic templates.*received \[\]/);
    expectRejected(() => ({ subscribeTopicTemplates: Array.from({ length: 9 }, (_, i) => `t${i}/\${sub}`) }), 'subscribeTopicTemplates', /1\.\.8/);
    expectRejected(() => ({ publishTopicTemplates: 'users/${sub}/*' as never }), 'publishTopicTemplates', /must be an array/);
  });

  it('rejects templates whose per-user session policy could exceed STS’s 2,048 characters', () => {
    const templates = [long(100), `u/${'b'.repeat(100)}/\${sub}/*`, `v/${'c'.repeat(100)}/\${sub}/*`];
    const noGroups = { prefix: undefined, max: 4 };
    expect(worstCaseSessionPolicyLength({ publish: templates, subscribe: templates }, noGroups, false)).toBeGreaterThan(2048);
    expectRejected(
      () => ({ publishTopicTemplates: templates, subscribeTopicTemplates: templates }),
      'publishTopicTemplates + subscribeTopicTemplates',
      /session policies of up to \d{4} characters \(subs of up to 128 characters\), over STS's 2048: use fewer or shorter templates/,
    );
    expect(worstCaseSessionPolicyLength({ publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*'] }, noGroups, false)).toBeLessThan(2048);
  });

  it('rejects group settings whose worst case exceeds the budget, saying to lower maxGroups', () => {
    const rooms = ['users/${sub}/*', 'rooms/${group}/*', 'chat/${group}/*', 'files/${group}/*', 'lobby/*'];
    expectRejected(() => ({ publishTopicTemplates: rooms, subscribeTopicTemplates: rooms }), 'publishTopicTemplates + subscribeTopicTemplates', /4 groups of up to 40 characters\), over STS's 2048: lower the maximum number of groups/);
    expect(attempt(() => ({ publishTopicTemplates: rooms, subscribeTopicTemplates: rooms, maxGroups: 1 })).error).toBeUndefined();
  });

  it('accepts private, group, shared and read-only templates together, and the group and retain props', () => {
    const { error, resources } = attempt(() => ({
      publishTopicTemplates: ['users/${sub}/*', 'rooms/${group}/*', 'lobby/*'],
      subscribeTopicTemplates: ['users/${sub}/*', 'rooms/${group}/*', 'lobby/*', 'telemetry/*'],
      groupPrefix: 'team-',
      maxGroups: 4,
      allowRetain: true,
    }));
    expect(error).toBeUndefined();
    expect(resources).toBeGreaterThan(10);
  });

  it.each([
    [['tenants/*/users/${sub}/*'], ['users/${sub}/*'], 'publishTopicTemplates', /"tenants\/\*\/users\/\$\{sub\}\/\*" has a \* before \$\{sub\}.*"tenants\/[^"]*"/],
    [['*/${sub}/*'], ['users/${sub}/*'], 'publishTopicTemplates', /has a \* before \$\{sub\}/],
    [['${sub}/*', 'inbox/${sub}'], ['users/${sub}/*'], 'publishTopicTemplates', /"inbox\/\$\{sub\}" and publishTopicTemplates\[0\] "\$\{sub\}\/\*" overlap: the topic "inbox\/x"/],
    [['users/*'], ['users/${sub}/*'], 'publishTopicTemplates', /publishTopicTemplates\[0\] "users\/\*" and subscribeTopicTemplates\[0\] "users\/\$\{sub\}\/\*" overlap: the topic "users\/x/],
    [['users/${sub}/*'], ['users/${sub}/*', 'rooms/*', 'rooms/${group}/*'], 'subscribeTopicTemplates', /"rooms\/\*" and subscribeTopicTemplates\[2\] "rooms\/\$\{group\}\/\*" overlap/],
    [['users/${sub}/*', 'users/${group}/*'], ['users/${sub}/*'], 'publishTopicTemplates', /"users\/\$\{group\}\/\*" and .* overlap/],
  ])('refuses the overlapping templates %j / %j, naming both and a topic both reach', (publish, subscribe, setting, message) => {
    expectRejected(() => ({ publishTopicTemplates: publish, subscribeTopicTemplates: subscribe }), setting, message);
  });

  it.each([
    [{ groupPrefix: 'team-' }, 'groupPrefix', /only applies to \$\{group\} templates.*received "team-"/],
    [{ groupPrefix: 'team*' }, 'groupPrefix', /1-39 characters.*received "team\*"/],
    [{ groupPrefix: '' }, 'groupPrefix', /1-39 characters/],
    [{ maxGroups: 0 }, 'maxGroups', /integer in 1\.\.20.*received 0/],
    [{ maxGroups: 2.5 }, 'maxGroups', /received 2\.5/],
    [{ allowRetain: 'yes' as never }, 'allowRetain', /true or false.*received "yes"/],
    [{ userPoolIssuer: 'new' as never }, 'userPoolIssuer', /original, updated.*received "new"/],
    [{ userRatePerSecond: -1 }, 'userRatePerSecond', /number in 0\.\.1000.*received -1/],
    [{ userRateBurst: 0 }, 'userRateBurst', /integer in 1\.\.1000.*received 0/],
    [{ alarms: 'yes' as never }, 'alarms', /true or false/],
    [{ dashboard: 1 as never }, 'dashboard', /true or false/],
    [{ alarmThresholds: { api5xxPercent: 200 } }, 'alarmThresholds.api5xxPercent', /0\.1\.\.100.*received 200/],
    [{ alarmThresholds: { stsFailures: 0 } }, 'alarmThresholds.stsFailures', /greater than 0/],
  ])('rejects %j', (props, setting, message) => {
    expectRejected(() => props, setting, message);
  });

  it('requires clients with an imported pool, and a pool with clients', () => {
    expectRejected((stack) => ({ userPool: UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc') }), 'userPoolClients', /at least one app client.*received undefined/);
    expectRejected((stack) => ({ userPool: UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc'), userPoolClients: [] }), 'userPoolClients', /received \[\]/);
    expectRejected((stack) => ({ userPoolClients: [UserPoolClient.fromUserPoolClientId(stack, 'Client', 'abc')] }), 'userPoolClients', /needs userPool.*received 1 client\(s\) without a pool/);
  });

  it('accepts https origins with ports and plain-http loopback origins', () => {
    for (const origin of ['https://app.example.com', 'https://app.example.com:8443', 'http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
      expect(validateOrigin('origin', origin)).toBe(origin);
    }
  });

  it('allows a session exactly one second longer than TTL + 60 s, and ignores the session length in shared scope', () => {
    expect(attempt(() => ({ urlTtl: Duration.seconds(900), sessionDuration: Duration.seconds(961), iotEndpoint: 'x' })).error).toBeUndefined();
    expect(attempt(() => ({ scope: 'shared', urlTtl: Duration.seconds(900), sessionDuration: Duration.seconds(900), iotEndpoint: 'x' })).error).toBeUndefined();
  });
});

describe('MqttUrlVending identity props (issuer mode, route scopes)', () => {
  const auth0 = { url: 'https://example.us.auth0.com/', audiences: ['https://mqtt.example.com'] };
  const groupTemplates = { publishTopicTemplates: ['users/${sub}/*', 'rooms/${group}/*'], subscribeTopicTemplates: ['users/${sub}/*', 'rooms/${group}/*'] };
  const pool = (stack: Stack) => UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc');
  const client = (stack: Stack) => UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client1abc');

  it('refuses an issuer together with any user-pool prop, naming every prop given and the values', () => {
    expectRejected(
      (stack) => ({ issuer: auth0, userPool: pool(stack), userPoolClients: [client(stack)] }),
      'issuer + userPool + userPoolClients',
      /must not be combined: the API accepts the tokens of either one OIDC issuer or one Cognito user pool.*received issuer "https:\/\/example\.us\.auth0\.com\/" with user pool "eu-west-1_abc" with app clients \["client1abc"\]\)$/,
    );
    expectRejected((stack) => ({ issuer: auth0, userPool: pool(stack) }), 'issuer + userPool', /must not be combined/);
    expectRejected((stack) => ({ issuer: auth0, userPoolClients: [client(stack)] }), 'issuer + userPoolClients', /must not be combined/);
    expectRejected(() => ({ issuer: auth0, userPoolIssuer: 'original' }), 'issuer + userPoolIssuer', /must not be combined.*issuer form "original"/);
  });

  it.each([
    ['not an object', 'https://example.us.auth0.com/' as never, 'issuer', /must be an object \{ url, audiences/],
    ['no audiences', { url: auth0.url } as never, 'issuer.audiences', /must list 1-50 audiences.*received undefined/],
    ['empty audiences', { ...auth0, audiences: [] }, 'issuer.audiences', /must list 1-50 audiences.*received \[\]/],
    ['51 audiences', { ...auth0, audiences: Array.from({ length: 51 }, (_, i) => `a${i}`) }, 'issuer.audiences', /must list 1-50 audiences/],
    ['an empty audience', { ...auth0, audiences: ['a', ''] }, 'issuer.audiences[1]', /1-256 printable characters without white space or commas.*received ""/],
    ['an audience with white space', { ...auth0, audiences: [' a'] }, 'issuer.audiences[0]', /without white space.*received " a"/],
    ['an audience with a comma', { ...auth0, audiences: ['a,b'] }, 'issuer.audiences[0]', /commas.*received "a,b"/],
    ['an audience of 257 characters', { ...auth0, audiences: ['a'.repeat(257)] }, 'issuer.audiences[0]', /1-256/],
    ['an empty URL', { ...auth0, url: '' }, 'issuer.url', /absolute http\(s\) URL.*received ""/],
    ['plain http', { ...auth0, url: 'http://example.us.auth0.com/' }, 'issuer.url', /must use https \(http only for loopback hosts: localhost, 127\.0\.0\.0\/8, \[::1\]\).*received "http:\/\/example/],
    ['http on a name ending in localhost', { ...auth0, url: 'http://localhost.example.com/' }, 'issuer.url', /must use https/],
    ['another scheme', { ...auth0, url: 'ftp://example.com/' }, 'issuer.url', /starting with https:\/\//],
    ['no scheme', { ...auth0, url: 'example.us.auth0.com' }, 'issuer.url', /absolute http\(s\) URL/],
    ['https: without //', { ...auth0, url: 'https:example.us.auth0.com/' }, 'issuer.url', /starting with https:\/\/ \(or http:\/\/\) and a host/],
    ['https:/// (no host)', { ...auth0, url: 'https:///example.us.auth0.com/' }, 'issuer.url', /starting with https:\/\/ \(or http:\/\/\) and a host/],
    ['a query', { ...auth0, url: 'https://example.com/issuer?tenant=a' }, 'issuer.url', /must not hold a query.*received "https:\/\/example\.com\/issuer\?tenant=a"/],
    ['an empty query', { ...auth0, url: 'https://example.com/?' }, 'issuer.url', /query/],
    ['a fragment', { ...auth0, url: 'https://example.com/#a' }, 'issuer.url', /must not hold "#"/],
    ['an empty fragment', { ...auth0, url: 'https://example.com/#' }, 'issuer.url', /must not hold "#"/],
    ['user info', { ...auth0, url: 'https://user:secret@example.com/' }, 'issuer.url', /must not hold user information/],
    ['empty user info', { ...auth0, url: 'https://@example.com/' }, 'issuer.url', /must not hold user information/],
    ['white space', { ...auth0, url: 'https://example.com/ ' }, 'issuer.url', /printable ASCII without spaces/],
    ['a non-ASCII host', { ...auth0, url: 'https://exämple.com/' }, 'issuer.url', /printable ASCII/],
    ['an empty groups claim', { ...auth0, groupsClaim: '' }, 'issuer.groupsClaim', /claim name of 1-256 printable characters.*received ""/],
    ['a groups claim with a space', { ...auth0, groupsClaim: 'my groups' }, 'issuer.groupsClaim', /without white space.*received "my groups"/],
    ['a groups pointer with ~2', { ...auth0, groupsClaim: '/realm~2access/roles' }, 'issuer.groupsClaim', /RFC 6901 JSON Pointer: "~" may only start "~0" or "~1".*received "\/realm~2access\/roles"/],
    ['a groups pointer ending in ~', { ...auth0, groupsClaim: '/roles~' }, 'issuer.groupsClaim', /RFC 6901/],
    ['a groups pointer with an empty token', { ...auth0, groupsClaim: '/realm_access//roles' }, 'issuer.groupsClaim', /without empty tokens/],
    ['a groups claim without a ${group} template', { ...auth0, groupsClaim: 'groups' }, 'issuer.groupsClaim', /only applies to \$\{group\} templates.*received "groups"/],
    ['an empty principal claim', { ...auth0, principalClaim: '' }, 'issuer.principalClaim', /claim name of 1-256 printable characters.*received ""/],
    ['a principal pointer', { ...auth0, principalClaim: '/sub' }, 'issuer.principalClaim', /not a JSON Pointer.*received "\/sub"/],
    ['a plain-http JWKS URI', { ...auth0, jwksUri: 'http://keys.example.com/jwks.json' }, 'issuer.jwksUri', /must use https.*received "http:\/\/keys/],
    ['a JWKS URI with a fragment', { ...auth0, jwksUri: 'https://keys.example.com/jwks.json#k' }, 'issuer.jwksUri', /fragment/],
    ['a JWKS URI with spaces', { ...auth0, jwksUri: 'https://keys.example.com/my keys' }, 'issuer.jwksUri', /printable ASCII without spaces/],
    ['a JWKS URI with user info', { ...auth0, jwksUri: 'https://a:b@keys.example.com/' }, 'issuer.jwksUri', /user information/],
  ] satisfies [string, MqttUrlVendingProps['issuer'], string, RegExp][])('refuses an issuer with %s', (_name, issuer, setting, message) => {
    expectRejected(() => ({ issuer }), setting, message);
  });

  it('refuses ${group} templates in issuer mode without groupsClaim, and accepts them with one', () => {
    expectRejected(() => ({ issuer: auth0, ...groupTemplates }), 'issuer.groupsClaim', /must name the claim holding the caller's groups.*since a template holds \$\{group\}.*received undefined/);
    for (const groupsClaim of ['groups', 'https://example.com/groups', '/realm_access/roles', '/a~1b/c~0d']) {
      expect(attempt(() => ({ issuer: { ...auth0, groupsClaim }, ...groupTemplates })).error, groupsClaim).toBeUndefined();
    }
  });

  it('accepts loopback http issuers and JWKS URIs (127.0.0.0/8, localhost, [::1]), a JWKS URI with a query, and drops repeated audiences', () => {
    for (const url of ['http://127.0.0.1:9000/', 'http://localhost/realms/demo', 'http://[::1]:8080/issuer/']) {
      expect(attempt(() => ({ issuer: { ...auth0, url, jwksUri: `${url}jwks` } })).error, url).toBeUndefined();
    }
    // Azure AD B2C's key URIs name the user flow in the query.
    const b2c = 'https://tenant.b2clogin.com/tenant.onmicrosoft.com/discovery/v2.0/keys?p=b2c_1_signin';
    expect(attempt(() => ({ issuer: { ...auth0, jwksUri: b2c } })).error).toBeUndefined();
    expect(resolveVendingProps({ issuer: { ...auth0, audiences: ['a', 'b', 'a'] } }).identity).toMatchObject({ mode: 'oidc', audiences: ['a', 'b'] });
  });

  it('agrees with the Lambda on the identity settings: whatever synth accepts, the function accepts with the environment the construct sets', () => {
    const env = (issuer: NonNullable<MqttUrlVendingProps['issuer']>, groups: boolean): Record<string, string> => ({
      IOT_ENDPOINT: 'abc-ats.iot.eu-west-1.amazonaws.com',
      CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:role/client',
      ...(groups ? { PUBLISH_TOPIC_TEMPLATES: JSON.stringify(groupTemplates.publishTopicTemplates), SUBSCRIBE_TOPIC_TEMPLATES: JSON.stringify(groupTemplates.subscribeTopicTemplates) } : {}),
      IDENTITY_MODE: 'oidc',
      ISSUER_URL: issuer.url,
      AUDIENCES: JSON.stringify(issuer.audiences),
      PRINCIPAL_CLAIM: issuer.principalClaim ?? 'sub',
      ...(issuer.groupsClaim === undefined ? {} : { GROUPS_CLAIM: issuer.groupsClaim }),
      ...(issuer.jwksUri === undefined ? {} : { JWKS_URI: issuer.jwksUri }),
    });
    const cases: [NonNullable<MqttUrlVendingProps['issuer']>, boolean][] = [
      [auth0, false],
      [{ ...auth0, groupsClaim: 'https://example.com/groups' }, true],
      [{ ...auth0, groupsClaim: '/realm_access/roles', principalClaim: 'oid', jwksUri: 'https://example.us.auth0.com/.well-known/jwks.json' }, true],
      [{ url: 'https://login.microsoftonline.com/tid/v2.0', audiences: ['api://mqtt', 'x'.repeat(256)] }, false],
      [{ url: 'http://localhost:8080/realms/demo', audiences: ['local'] }, false],
      [{ ...auth0, url: 'http://example.com/' }, false],
      [{ ...auth0, url: 'https://example.com/?' }, false],
      [{ ...auth0, url: 'https://example.com/#' }, false],
      [{ ...auth0, url: 'https:example.com/' }, false],
      [{ ...auth0, url: 'https://exämple.com/' }, false],
      [{ ...auth0, audiences: [] }, false],
      [{ ...auth0, audiences: ['a b'] }, false],
      [{ ...auth0, audiences: ['a,b'] }, false],
      [{ ...auth0, audiences: ['x'.repeat(257)] }, false],
      [{ ...auth0, groupsClaim: '/a~2' }, true],
      [{ ...auth0, groupsClaim: '/a//b' }, true],
      [{ ...auth0, groupsClaim: 'groups' }, false],
      [{ ...auth0 }, true],
      [{ ...auth0, principalClaim: '/sub' }, false],
      [{ ...auth0, principalClaim: 'a b' }, false],
      [{ ...auth0, jwksUri: 'http://keys.example.com/' }, false],
      [{ ...auth0, jwksUri: 'https://keys.example.com/?p=x' }, false],
      [{ ...auth0, jwksUri: 'https://keys.example.com/#k' }, false],
      [{ ...auth0, jwksUri: 'http://127.0.0.1:9000/jwks' }, false],
    ];
    const outcomes = new Set<string>();
    for (const [issuer, groups] of cases) {
      const cdk = (() => {
        try {
          resolveVendingProps({ issuer, ...(groups ? groupTemplates : {}) });
          return 'accepted';
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidVendingConfigError);
          return 'refused';
        }
      })();
      const lambda = (() => {
        try {
          parseConfig(env(issuer, groups));
          return 'accepted';
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError);
          return 'refused';
        }
      })();
      expect(lambda, JSON.stringify([issuer, groups])).toBe(cdk);
      outcomes.add(cdk);
    }
    expect([...outcomes].sort()).toEqual(['accepted', 'refused']);
  });

  it.each([
    [[], 'requiredScopes', /at least one OAuth scope, or be left out.*received \[\]/],
    [[''], 'requiredScopes[0]', /one OAuth scope: printable ASCII without spaces.*received ""/],
    [['mqtt connect'], 'requiredScopes[0]', /without spaces.*received "mqtt connect"/],
    [['ok', 'a"b'], 'requiredScopes[1]', /received "a\\"b"/],
    [['ok', 'é'], 'requiredScopes[1]', /printable ASCII/],
    ['mqtt' as never, 'requiredScopes', /at least one OAuth scope/],
  ])('refuses requiredScopes %j in both modes', (requiredScopes, setting, message) => {
    expectRejected(() => ({ requiredScopes }), setting, message);
    expectRejected(() => ({ issuer: auth0, requiredScopes }), setting, message);
  });
});

describe('stack context', () => {
  const rejectContext = (context: Record<string, unknown>, setting: string, message: RegExp): void => {
    let error: unknown;
    try {
      createApp({ context });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidVendingConfigError);
    expect((error as InvalidVendingConfigError).setting).toBe(setting);
    expect((error as Error).message).toMatch(message);
  };

  it.each([
    [{ urlTtlSeconds: 'abc' }, 'context "urlTtlSeconds"', /must be a number.*received "abc"/],
    [{ urlTtlSeconds: 1.5 }, 'context "urlTtlSeconds"', /whole number of seconds/],
    [{ urlTtlSeconds: '1000' }, 'context "urlTtlSeconds"', /received 1000/],
    [{ sessionDurationSeconds: 60 }, 'context "sessionDurationSeconds"', /900\.\.3600.*received 60/],
    [{ sessionCacheSize: '-1' }, 'context "sessionCacheSize"', /received -1/],
    [{ scope: 'everyone' }, 'context "scope"', /per-user, shared.*received "everyone"/],
    [{ iotPolicyIdentity: 'clientid' }, 'context "iotPolicyIdentity"', /received "clientid"/],
    [{ iotEndpoint: 'https://abc-ats.iot.eu-west-1.amazonaws.com' }, 'context "iotEndpoint"', /bare host name/],
    [{ iotEndpoint: 42 }, 'context "iotEndpoint"', /must be a string.*received 42/],
    [{ allowedOrigins: '["https://a.example.com"' }, 'context "allowedOrigins"', /JSON array or a comma-separated list/],
    [{ allowedOrigins: 'https://a.example.com,*' }, 'context "allowedOrigins"[1]', /wildcards/],
    [{ allowedOrigins: { a: 1 } }, 'context "allowedOrigins"', /must be a list/],
    // A shared template is fine on its own, but this one reaches the private topics of the user "all".
    [{ publishTopicTemplates: '["users/all/*"]' }, 'context "publishTopicTemplates"', /topics apart: publishTopicTemplates\[0\] "users\/all\/\*" and subscribeTopicTemplates\[0\] "users\/\$\{sub\}\/\*" overlap: the topic "users\/all\/[^"]*" is granted by "users\/all\/\*" to every signed-in user and by "users\/\$\{sub\}\/\*" to the user whose sub is "all"/],
    [{ publishTopicTemplates: 'tenants/*/users/${sub}/*', subscribeTopicTemplates: 'tenants/*/users/${sub}/*' }, 'context "publishTopicTemplates"', /has a \* before \$\{sub\}/],
    [{ subscribeTopicTemplates: '["*/${sub}/*"]' }, 'context "subscribeTopicTemplates"', /subscribeTopicTemplates\[0\] "\*\/\$\{sub\}\/\*" has a \* before \$\{sub\}/],
    [{ publishTopicTemplates: '["${sub}/*","inbox/${sub}"]' }, 'context "publishTopicTemplates"', /"inbox\/\$\{sub\}" and publishTopicTemplates\[0\] "\$\{sub\}\/\*" overlap: the topic "inbox\/x"/],
    [{ publishTopicTemplates: '["users/${sub}/*","users/${group}/*"]' }, 'context "publishTopicTemplates"', /"users\/\$\{group\}\/\*" and .* overlap/],
    [{ groupPrefix: 'a/b' }, 'context "groupPrefix"', /1-39 characters.*received "a\/b"/],
    [{ maxGroups: '99' }, 'context "maxGroups"', /1\.\.20.*received 99/],
    [{ maxGroups: 'many' }, 'context "maxGroups"', /must be a number.*received "many"/],
    [{ allowRetain: 'yes' }, 'context "allowRetain"', /true or false.*received "yes"/],
    [{ userPoolIssuer: 'UPDATED' }, 'context "userPoolIssuer"', /original, updated.*received "UPDATED"/],
    [{ userRatePerSecond: 'fast' }, 'context "userRatePerSecond"', /must be a number.*received "fast"/],
    [{ userRateBurst: '0' }, 'context "userRateBurst"', /1\.\.1000.*received 0/],
    [{ alarms: 'off' }, 'context "alarms"', /true or false.*received "off"/],
    [{ alarmTopicArn: 'ops-alerts' }, 'context "alarmTopicArn"', /SNS topic ARN.*received "ops-alerts"/],
    [{ subscribeTopicTemplates: 'users/${sub}/#' }, 'context "subscribeTopicTemplates"[0]', /MQTT wildcards/],
    [{ throttleRateLimit: '0' }, 'context "throttleRateLimit"', /greater than 0.*received 0/],
    [{ throttleBurstLimit: 'lots' }, 'context "throttleBurstLimit"', /received "lots"/],
    [{ logRetentionDays: 0 }, 'context "logRetentionDays"', /retention in days.*received 0/],
    [{ userPoolClientIds: 'abc' }, 'context "userPoolClientIds"', /needs context "userPoolId"/],
    [{ userPoolId: 'eu-west-1_abc' }, 'context "userPoolClientIds"', /at least one app client/],
    [{ userPoolId: 'not a pool', userPoolClientIds: 'abc' }, 'context "userPoolId"', /user pool id.*received "not a pool"/],
    [{ userPoolId: 'eu-west-1_abc', userPoolClientIds: 'abc,d e' }, 'context "userPoolClientIds"', /app client ids/],
    [{ stackName: '1-bad' }, 'context "stackName"', /CloudFormation stack name.*received "1-bad"/],
    // Issuer mode: each issuer key named, the construct's rules behind it.
    [{ issuerUrl: 'https://example.us.auth0.com/' }, 'context "audiences"', /must list 1-50 audiences.*received \[\]/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: '["a",""]' }, 'context "audiences"[1]', /1-256 printable characters/],
    [{ issuerUrl: 'http://example.us.auth0.com/', audiences: 'a' }, 'context "issuerUrl"', /must use https.*received "http:\/\/example\.us\.auth0\.com\/"/],
    [{ issuerUrl: 'https://example.com/?x=1', audiences: 'a' }, 'context "issuerUrl"', /query/],
    [{ issuerUrl: 'https://example.com/#', audiences: 'a' }, 'context "issuerUrl"', /"#"/],
    [{ issuerUrl: 'https://u:p@example.com/', audiences: 'a' }, 'context "issuerUrl"', /user information/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', groupsClaim: '/a~2' }, 'context "groupsClaim"', /RFC 6901/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', groupsClaim: 'groups' }, 'context "groupsClaim"', /only applies to \$\{group\} templates/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', publishTopicTemplates: 'users/${sub}/*,rooms/${group}/*' }, 'context "groupsClaim"', /since a template holds \$\{group\}/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', principalClaim: '' }, 'context "principalClaim"', /claim name of 1-256.*received ""/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', jwksUri: 'http://keys.example.com/' }, 'context "jwksUri"', /must use https/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', userPoolId: 'eu-west-1_abc', userPoolClientIds: 'abc' }, 'context "issuerUrl" + context "userPoolId" + context "userPoolClientIds"', /must not be combined.*received issuer "https:\/\/example\.us\.auth0\.com\/" with user pool "eu-west-1_abc" with app clients \["abc"\]/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', userPoolIssuer: 'updated' }, 'context "issuerUrl" + context "userPoolIssuer"', /must not be combined.*issuer form "updated"/],
    [{ audiences: 'https://mqtt.example.com' }, 'context "audiences"', /needs context "issuerUrl".*received \["https:\/\/mqtt\.example\.com"\]/],
    [{ groupsClaim: 'groups' }, 'context "groupsClaim"', /needs context "issuerUrl"/],
    [{ principalClaim: 'oid' }, 'context "principalClaim"', /needs context "issuerUrl".*received "oid"/],
    [{ jwksUri: 'https://keys.example.com/' }, 'context "jwksUri"', /needs context "issuerUrl"/],
    [{ requiredScopes: 'mqtt connect' }, 'context "requiredScopes"[0]', /one OAuth scope.*received "mqtt connect"/],
    [{ requiredScopes: '["ok",""]' }, 'context "requiredScopes"[1]', /one OAuth scope.*received ""/],
    [{ issuerUrl: 'https://example.us.auth0.com/', audiences: 'a', requiredScopes: 'a,b c' }, 'context "requiredScopes"[1]', /without spaces/],
  ] satisfies [Record<string, unknown>, string, RegExp][])('rejects %j', (context, setting, message) => {
    rejectContext(context, setting, message);
  });
});
