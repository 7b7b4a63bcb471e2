/**
 * The loopback STS reads request bodies through the local stack's bounded `readBody`, so it cannot
 * be made to buffer without limit, while a body of any realistic size still reaches authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSts } from '../../local/sts-server.js';

const sts = new LocalSts();
let base = '';

beforeAll(async () => {
  base = await sts.start();
});
afterAll(async () => {
  await sts.stop();
});

async function post(bytes: number): Promise<{ status: number; text: string }> {
  const body = `Action=AssumeRole&Version=2011-06-15&Policy=${'x'.repeat(bytes - 'Action=AssumeRole&Version=2011-06-15&Policy='.length)}`;
  expect(Buffer.byteLength(body)).toBe(bytes);
  const response = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: response.status, text: await response.text() };
}

describe('LocalSts request bodies', () => {
  it('refuses a body over 64 KiB with 413 before authenticating, and records no call', async () => {
    const { status, text } = await post(64 * 1024 + 1);
    expect(status).toBe(413);
    expect(text).toContain('<Code>RequestEntityTooLarge</Code>');
    expect(text).toContain('<Message>The request body is larger than 65536 bytes</Message>');
    expect(sts.calls).toHaveLength(0);
  });

  it('reads a body of exactly 64 KiB and goes on to authentication', async () => {
    const { status, text } = await post(64 * 1024);
    expect(status).toBe(403);
    expect(text).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
