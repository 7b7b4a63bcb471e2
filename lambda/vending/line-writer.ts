/**
 * Lines written together: every line written during one synchronous run (a request's log line and
 * its metrics line, say) leaves in ONE write, at the next microtask checkpoint, so before the
 * handler's answer is seen and before Lambda can freeze the process. The reader of a pipe (Lambda's
 * stdout) sees the very same bytes as with one write per line, and CloudWatch still splits them into
 * one event per line; only the system calls are fewer, which is most of what a warm request's
 * logging costs.
 */

/** Writes one line (without its newline). */
export type LineWriter = (line: string) => void;

/**
 * Returns a {@link LineWriter} that joins the lines of a synchronous run, each with its newline,
 * and hands them to `writeChunk` in one call.
 *
 * @param writeChunk writes a chunk of whole lines (stdout's `write`, or `fs.writeSync` on a pipe)
 */
export function createCoalescingWriter(writeChunk: (chunk: string) => void): LineWriter {
  let pending = '';
  const flush = (): void => {
    const chunk = pending;
    pending = '';
    writeChunk(chunk);
  };
  return (line) => {
    if (pending === '') queueMicrotask(flush);
    pending += `${line}\n`;
  };
}
