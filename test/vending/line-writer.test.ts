/** `createCoalescingWriter`: the lines of one synchronous run leave in one write, before anyone awaiting sees the result. */
import { describe, expect, it } from 'vitest';
import { createCoalescingWriter } from '../../lambda/vending/line-writer.js';

describe('createCoalescingWriter', () => {
  it('writes the lines of one run in one chunk, each with its newline, at the next microtask', async () => {
    const chunks: string[] = [];
    const write = createCoalescingWriter((chunk) => chunks.push(chunk));
    write('{"a":1}');
    write('{"b":2}');
    expect(chunks).toEqual([]);
    await Promise.resolve();
    expect(chunks).toEqual(['{"a":1}\n{"b":2}\n']);
    write('{"c":3}');
    await Promise.resolve();
    expect(chunks).toEqual(['{"a":1}\n{"b":2}\n', '{"c":3}\n']);
  });

  it('has flushed by the time an async function that wrote is awaited', async () => {
    const chunks: string[] = [];
    const write = createCoalescingWriter((chunk) => chunks.push(chunk));
    const handler = async () => {
      await Promise.resolve();
      write('request');
      write('metrics');
      return 'answer';
    };
    expect(await handler()).toBe('answer');
    expect(chunks).toEqual(['request\nmetrics\n']);
  });

  it('writes an empty line as a line', async () => {
    const chunks: string[] = [];
    const write = createCoalescingWriter((chunk) => chunks.push(chunk));
    write('');
    write('x');
    await Promise.resolve();
    expect(chunks).toEqual(['\nx\n']);
  });
});
