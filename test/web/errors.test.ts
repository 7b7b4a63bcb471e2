import { describe, expect, it } from 'vitest';
import { describeValue } from '../../lambda/signing/errors.js';
import { ConnectMqttOptionError, VendingError } from '../../web/errors.js';

describe('ConnectMqttOptionError', () => {
  it.each([
    [new Date('2024-05-01T12:00:00Z'), '2024-05-01T12:00:00.000Z'],
    [new Date(Number.NaN), 'Invalid Date'],
    [12n, '12'],
    ['x'.repeat(100), `"${'x'.repeat(77)}..."`],
    [{ token: 'secret' }, 'a value of type object'],
  ])('describes %o exactly as the signer does', (value, shown) => {
    const error = new ConnectMqttOptionError('mqttOptions.will', 'must be an object', value);
    expect(error.problem).toBe('must be an object');
    expect(error.received).toBe(shown);
    expect(error.received).toBe(describeValue(value));
    expect(error.message).toBe(`Invalid mqttOptions.will: must be an object (received ${shown})`);
  });
});

describe('VendingError.permanent', () => {
  it.each([
    [400, true],
    [401, true],
    [403, true],
    [404, true],
    [499, true],
    [408, false],
    [429, false],
    [0, false],
    [200, false],
    [500, false],
    [502, false],
    [503, false],
  ])('HTTP %i → %s', (status, permanent) => {
    expect(new VendingError(status, 'Code', 'message').permanent).toBe(permanent);
  });
});
