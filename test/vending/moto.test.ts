/**
 * One request through moto's STS (moto_server on a free loopback port), to show the SDK path works
 * against an independent implementation of the query protocol too, not only our stand-in.
 *
 * An optional cross-check: moto_server is a Python program that no npm install provides. It runs
 * when `moto_server` is on PATH (the CI image has it); otherwise it is reported as skipped, with the
 * reason in its name, which `npm test`'s summary lists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambda/handler.js';
import { parseConfig } from '../../lambda/vending/config.js';
import type { RequestLogRecord } from '../../lambda/vending/logger.js';
import { optionalTool } from '../optional-tool.js';
import { COGNITO_ENV, bodyOf, idTokenClaims, mqttUrlEvent, parseMqttUrl } from './helpers.js';

const motoServer = optionalTool('moto_server', 'pip install "moto[server]>=5,<6"');
const hasMoto = motoServer.available;
let moto: ChildProcess | undefined;

beforeAll(async () => {
  if (!hasMoto) return;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  moto = child;
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${String(code)}: ${output}`)));
  });
  process.env['AWS_ENDPOINT_URL_STS'] = url;
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIAMOTOTESTCALLER01';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'moto-test-secret';
}, 20_000);

afterAll(async () => {
  for (const name of ['AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete process.env[name];
  const child = moto;
  if (child === undefined || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
});

describe('against moto_server STS', () => {
  it.skipIf(!hasMoto)(`vends a URL signed with a moto session and caches it${motoServer.skipNote}`, async () => {
    const records: RequestLogRecord[] = [];
    const config = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: 'abc123-ats.iot.us-east-1.amazonaws.com', CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:role/mqtt-client' });
    const handler = createHandler(config, { log: (record) => records.push(record) });
    const first = await handler(mqttUrlEvent(idTokenClaims('moto-user')));
    expect(first.statusCode).toBe(200);
    const url = parseMqttUrl(String(bodyOf(first)['url']));
    expect(url.accessKeyId).toMatch(/^ASIA/);
    expect(url.sessionToken?.length).toBeGreaterThan(20);
    const second = parseMqttUrl(String(bodyOf(await handler(mqttUrlEvent(idTokenClaims('moto-user'))))['url']));
    expect(second.accessKeyId).toBe(url.accessKeyId);
    expect(records.map((record) => record.cache)).toEqual(['miss', 'hit']);
  });
});
