/**
 * Where the construct finds the prebuilt handler bundle (`bin/build-handler.ts` makes it). The same
 * lookup serves the published package and this repository, so both deploy the same artefact:
 * - published: this module is `dist/lib/handler-asset.js` (its CommonJS copy
 *   `dist/cjs/lib/handler-asset.js`), the bundle `dist/handler/index.mjs`, one for both copies;
 * - in the repository: this module is `lib/handler-asset.ts`, the bundle `dist/handler/index.mjs`
 *   once `npm run build` (or `bin/app.ts`, which builds it before every synth) has run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bundle's file name inside its directory; the Lambda handler is `index.handler`. */
export const HANDLER_BUNDLE_FILE = 'index.mjs';

const CANDIDATES = [
  new URL('../handler/', import.meta.url),
  // The CommonJS copy (bin/build-cjs.ts makes `import.meta.url` the CommonJS file's own URL).
  new URL('../../handler/', import.meta.url),
  new URL('../dist/handler/', import.meta.url),
];

/**
 * The directory holding the handler bundle, for `Code.fromAsset`.
 * @throws Error saying how to build it when no bundle is found
 */
export function handlerBundleDirectory(): string {
  for (const candidate of CANDIDATES) {
    const directory = fileURLToPath(candidate);
    if (existsSync(`${directory}${HANDLER_BUNDLE_FILE}`)) return directory;
  }
  throw new Error(
    `The vending Lambda bundle (${HANDLER_BUNDLE_FILE}) was not found in ${CANDIDATES.map((c) => fileURLToPath(c)).join(' or ')}: ` +
      'in a clone of aws-signv4-mqtt run `npm run build`; an installed package ships it prebuilt, so reinstall it.',
  );
}
