/**
 * `instanceof` for the package's exported error classes that holds across copies of the package.
 *
 * The package ships an ES module copy and a CommonJS copy (`dist/` and `dist/cjs/`). An app that
 * loads both, say its own code through `import` and a CommonJS dependency (or jest) through
 * `require`, has two `VendingError` classes, and a plain `instanceof` would be `false` for an error
 * thrown by the other copy. So each class carries a brand, a property keyed by a `Symbol.for`
 * symbol (one registry for the whole process, whichever copy asks), and answers `instanceof` from
 * it through `Symbol.hasInstance`. A subclass of a branded class keeps the ordinary `instanceof`.
 * No Node dependency: the browser client shares it.
 */

/**
 * Brands an error class so `value instanceof errorClass` is `true` for instances made by any copy
 * of this package's class of that name.
 *
 * @param errorClass the exported error class
 * @param name its stable name; the brand is `Symbol.for('aws-signv4-mqtt.<name>')`
 */
export function brandErrorClass(errorClass: abstract new (...args: never[]) => Error, name: string): void {
  const brand = Symbol.for(`aws-signv4-mqtt.${name}`);
  Object.defineProperty(errorClass.prototype, brand, { value: true });
  Object.defineProperty(errorClass, Symbol.hasInstance, {
    value: function hasInstance(this: unknown, value: unknown): boolean {
      // A subclass inherits this static method: it keeps the ordinary prototype-chain check.
      if (this !== errorClass) return Function.prototype[Symbol.hasInstance].call(this, value);
      return (typeof value === 'object' || typeof value === 'function') && value !== null && (value as Record<symbol, unknown>)[brand] === true;
    },
  });
}
