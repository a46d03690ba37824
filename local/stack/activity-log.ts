import { ECS_TASK_STATE_CHANGE } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import type { Invocation, InvokerObserver } from '#local/lambda/invoker.ts';
import type { RouterObserver } from '#local/routing/router.ts';
import { summarizeDetail, workspaceOf } from '#local/stack/event-summary.ts';
import { safeText } from '#local/wire/safe-text.ts';

/** Where the stack's log lines go. */
export type LogWriter = (line: string) => void;

const envelopeOf = (event: unknown): EventEnvelope | undefined => {
  if (typeof event !== 'object' || event === null) return undefined;
  // An on-failure record carries the original event as its request payload.
  const inner = (event as { requestPayload?: unknown }).requestPayload;
  const candidate = (inner ?? event) as Partial<EventEnvelope>;
  return typeof candidate['detail-type'] === 'string' ? (candidate as EventEnvelope) : undefined;
};

const workspaceOfInvocation = (invocation: Invocation): string => {
  const envelope = envelopeOf(invocation.event);
  return (envelope && workspaceOf(envelope)) ?? '-';
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;

/**
 * The stack's readable log: one line per accepted event (with the functions it was routed to) and
 * one per invocation outcome (ok, retry or failed). Task states are the ECS emulator's own lines.
 *
 * @example
 * event  #1 Workspace Provision Requested  ws-1  runtime=claude-code kind=platform -> provision
 * invoke provision ok  ws-1  (attempt 1, 14 ms)
 */
export function activityLog(writeLine: LogWriter): { router: RouterObserver; invoker: InvokerObserver } {
  // Ids, detail-types and error messages come from events and handlers: one line each, escaped.
  const write: LogWriter = (line) => writeLine(safeText(line));
  return {
    router: {
      routed(event, routes) {
        const { envelope } = event;
        const targets = routes.length > 0 ? ` -> ${routes.map((route) => route.target).join(', ')}` : '';
        const summary = summarizeDetail(envelope);
        const workspace = workspaceOf(envelope) ?? '-';
        // The ECS emulator logs each task state itself (with the workspace's URL when it runs).
        if (envelope['detail-type'] === ECS_TASK_STATE_CHANGE) return;
        write(
          `event  #${event.seq} ${envelope['detail-type']}  ${workspace}${summary ? `  ${summary}` : ''}${targets}`,
        );
      },
      retrying(event, route, attempts, delayMs, errorMessage) {
        write(
          `route  #${event.seq} to ${route.target} failed (attempt ${attempts}), retry in ${seconds(delayMs)}: ${errorMessage}`,
        );
      },
      gaveUp(event, route, status, errorMessage) {
        const where = status === 'dlq' ? 'to the target dead-letter table' : 'dropped';
        write(`route  #${event.seq} to ${route.target} gave up, ${where}: ${errorMessage}`);
      },
      error(error) {
        write(`error  routing: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      },
    },
    invoker: {
      succeeded(invocation, durationMs) {
        write(
          `invoke ${invocation.functionName} ok  ${workspaceOfInvocation(invocation)}  (attempt ${invocation.attempts}, ${durationMs} ms)`,
        );
      },
      retrying(invocation, error, delayMs) {
        write(
          `invoke ${invocation.functionName} retry  ${workspaceOfInvocation(invocation)}  attempt ${invocation.attempts} failed, ` +
            `next in ${seconds(delayMs)}: ${error.errorType}: ${error.errorMessage}`,
        );
      },
      failed(invocation, condition, error, destinations) {
        const where = [
          destinations.onFailure ? `on-failure -> ${destinations.onFailure}` : undefined,
          destinations.deadLetterQueue ? 'dead-letter table' : undefined,
        ]
          .filter(Boolean)
          .join(', ');
        write(
          `invoke ${invocation.functionName} failed  ${workspaceOfInvocation(invocation)}  ${condition} after ` +
            `${invocation.attempts} attempt(s)${error ? `: ${error.errorType}: ${error.errorMessage}` : ''}${where ? ` (${where})` : ''}`,
        );
      },
      error(error) {
        write(`error  invoker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      },
    },
  };
}
