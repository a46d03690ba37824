/** How the console writes times, task ids and states. */

/** `12:03:04` (local time) of an ISO time or epoch ms. */
export function clock(value) {
  if (value === null || value === undefined) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleTimeString([], { hour12: false });
}

/** `3s ago`, `5m ago` from epoch ms. */
export function ago(epochMs, now = Date.now()) {
  if (typeof epochMs !== 'number') return '';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours}h ago` : `${Math.floor(hours / 24)}d ago`;
}

/** The task id at the end of a task ARN. */
export const shortTask = (arn) =>
  typeof arn === 'string' ? (arn.split('/').at(-1) ?? arn).slice(0, 12) : '';

/** `1.2 s` / `340 ms`. */
export function duration(ms) {
  if (typeof ms !== 'number') return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Whether an event says something failed (the flow marks it). */
export const failedType = (detailType) => /Failed|Rejected|Abandoned/.test(detailType ?? '');

/** The one-line gist of an event's detail. */
export function gist(envelope) {
  const detail = envelope.detail ?? {};
  if (envelope.source === 'aws.ecs') {
    const reason = detail.stoppedReason ? ` (${detail.stoppedReason})` : '';
    return `${shortTask(detail.taskArn)} ${detail.lastStatus ?? ''} → ${detail.desiredStatus ?? ''}${reason}`;
  }
  const parts = [];
  for (const key of ['state', 'cause', 'exitCode', 'reason', 'errorCode', 'message', 'url', 'snapshotId']) {
    if (detail[key] !== undefined && typeof detail[key] !== 'object') parts.push(`${key}=${detail[key]}`);
  }
  if (detail.taskArn) parts.push(`task=${shortTask(detail.taskArn)}`);
  return parts.join(' ');
}
