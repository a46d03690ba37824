/** The CLI's readable line for an event, built on the stack's event summaries. */
import type { EventEnvelope } from '#local/interfaces.ts';
import { summarizeDetail, workspaceOf } from '#local/stack/event-summary.ts';
import { safeText } from '#local/wire/safe-text.ts';

export { shortTaskId, summarizeDetail, workspaceOf } from '#local/stack/event-summary.ts';

/**
 * One readable line for an event:
 * `12:00:01.234  Workspace Task Launched            ws-1  task=5f3a… image=ghcr.io/… kind=platform`.
 */
export function formatEventLine(envelope: EventEnvelope): string {
  const time = envelope.time.length >= 19 ? envelope.time.slice(11, 19) : envelope.time;
  const workspace = workspaceOf(envelope) ?? '-';
  const summary = summarizeDetail(envelope);
  return safeText(
    `${time}  ${envelope['detail-type'].padEnd(37)} ${workspace}${summary ? `  ${summary}` : ''}`,
  );
}
