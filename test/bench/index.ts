/**
 * `npm run bench`: prints the project's performance figures. Nothing here asserts on time; the
 * figures and their targets are printed for people (and the README) to read.
 */
import { runSignerBench } from './signer-bench.js';
import { runVendingBench } from './vending-bench.js';

process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
console.log(`node ${process.version}, ${process.arch}\n`);
await runSignerBench();
console.log('');
await runVendingBench();
console.log(''); await (await import('./reconnect-bench.js')).runReconnectBench();
