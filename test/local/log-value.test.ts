import { describe, expect, it } from 'vitest';
import { logValue } from '../../local/log-value.js';

describe('logValue', () => {
  it('writes a value as a JSON string: quotes, backslashes and C0 controls escaped', () => {
    expect(logValue('users/abc/chat')).toBe('"users/abc/chat"');
    expect(logValue('a"b\\c\nd\re\tf\u0000')).toBe('"a\\"b\\\\c\\nd\\re\\tf\\u0000"');
  });

  it('also escapes what JSON leaves raw but viewers may break lines on or hide: DEL, C1 (NEL), U+2028, U+2029', () => {
    expect(logValue('a\u007fb\u0085c\u009fd\u2028e\u2029f')).toBe('"a\\u007fb\\u0085c\\u009fd\\u2028e\\u2029f"');
  });

  it('keeps other non-ASCII text readable, and a lone surrogate escaped', () => {
    expect(logValue('zoë/温度')).toBe('"zoë/温度"');
    expect(logValue('x\ud800')).toBe('"x\\ud800"');
  });

  it('round-trips: JSON.parse gives the value back', () => {
    const value = 'evil\nMQTT CONNECT client=x accepted\u2028\u0085"';
    expect(JSON.parse(logValue(value))).toBe(value);
  });
});
