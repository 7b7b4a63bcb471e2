#!/usr/bin/env node
/**
 * The `aws-signv4-mqtt` executable: prints a presigned AWS IoT MQTT-over-WebSocket URL, or with
 * `verify` checks a deployed vending stack (`lambda/verify/`). Everything but the process wiring
 * lives in `lambda/signing/cli.ts`.
 */
import { runCli } from '../lambda/signing/cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
