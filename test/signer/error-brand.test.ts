/**
 * The brand behind `instanceof` for the exported errors (`lambda/signing/error-brand.ts`): an error
 * made by another copy of a class (here, a second class branded with the same name, as the CommonJS
 * copy is) passes `instanceof`; nothing else does, and subclasses keep the ordinary check. The real
 * ES module and CommonJS copies are checked against each other in test/package/pack.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { brandErrorClass } from '../../lambda/signing/error-brand.js';
import { InvalidSigningOptionError } from '../../lambda/signing/errors.js';
import { VendingError } from '../../web/errors.js';

function twoCopies() {
  const make = () => {
    class Copy extends Error {
      constructor(readonly detail: string) {
        super(detail);
      }
    }
    brandErrorClass(Copy, 'TestOnlyError');
    return Copy;
  };
  return [make(), make()] as const;
}

describe('brandErrorClass', () => {
  it('makes instanceof hold across two copies of a class, both ways', () => {
    const [First, Second] = twoCopies();
    expect(First).not.toBe(Second);
    expect(new First('a')).toBeInstanceOf(Second);
    expect(new Second('b') instanceof First).toBe(true);
    expect(new First('a') instanceof Error).toBe(true);
  });

  it('refuses what is not branded, whatever it looks like', () => {
    const [First] = twoCopies();
    for (const value of [new Error('x'), { name: 'TestOnlyError' }, Object.create(Error.prototype), null, undefined, 'TestOnlyError', 0, () => undefined]) {
      expect(value instanceof First, String(value)).toBe(false);
    }
  });

  it('keeps brands of different names apart', () => {
    expect(new InvalidSigningOptionError('host', 'is required', 'undefined') instanceof VendingError).toBe(false);
    expect(new VendingError(401, 'Unauthorized', 'Sign in again.') instanceof InvalidSigningOptionError).toBe(false);
  });

  it('leaves a subclass the ordinary prototype-chain check', () => {
    const [First, Second] = twoCopies();
    class Narrower extends First {}
    expect(new Narrower('n') instanceof First).toBe(true);
    expect(new Narrower('n') instanceof Second).toBe(true);
    expect(new Narrower('n') instanceof Narrower).toBe(true);
    expect(new First('a') instanceof Narrower).toBe(false);
    expect(new Second('b') instanceof Narrower).toBe(false);
  });

  it('brands every exported error class by its name', () => {
    expect(new VendingError(503, 'ServiceUnavailable', 'Try later.')[Symbol.for('aws-signv4-mqtt.VendingError') as never]).toBe(true);
    expect(new InvalidSigningOptionError('host', 'is required', 'undefined')[Symbol.for('aws-signv4-mqtt.InvalidSigningOptionError') as never]).toBe(true);
  });
});
