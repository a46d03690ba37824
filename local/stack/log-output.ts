/** Where the stack's log lines go: the caller's writer, or stdout buffered per turn; nothing when quiet. */

import { safeText } from '#local/wire/safe-text.ts';
import type { LogWriter } from './activity-log.ts';

/** The stack's log writer (each line stamped with the time of day) and what flushes it. */
export interface LogOutput {
  readonly write: LogWriter;
  /** Writes what is buffered (stdout only). */
  readonly flush: () => void;
}

/** The stack's log output for its `log` and `quiet` options. */
export function stackLogOutput(options: { readonly log?: LogWriter; readonly quiet?: boolean }): LogOutput {
  const stdout = options.log ? undefined : bufferedStdout();
  const sink = options.log ?? (stdout as LogOutput).write;
  const write: LogWriter = options.quiet
    ? () => {}
    : // Every line escapes control characters: no event field can start a line or move the cursor.
      (line) => sink(`${new Date().toISOString().slice(11, 23)} ${safeText(line)}`);
  return { write, flush: () => stdout?.flush() };
}

/**
 * Log lines to stdout, gathered and written once per turn of the event loop: under load the stack
 * logs several lines per request, and one write per line (a system call each on a pipe) costs the
 * stack's thread more than the work it reports.
 */
export function bufferedStdout(out: { write(text: string): unknown } = process.stdout): LogOutput {
  let lines: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    lines = [];
    out.write(text);
  };
  return {
    write(line) {
      lines.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
