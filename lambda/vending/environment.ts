/**
 * The environment a parser reads: Lambda's `process.env`, or a test's object. Its own module because
 * both `config.ts` and the identity half it calls (`identity-config.ts`) read it.
 */

/** Environment variables by name; a variable that is not set is absent or `undefined`. */
export type Environment = Readonly<Record<string, string | undefined>>;
