/**
 * The `EBS Snapshot Notification` EBS puts on the account's default bus when a CreateSnapshot
 * finishes, in the shape of the sample in "Amazon EventBridge events for Amazon EBS"
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html#create-snapshot-complete):
 * source `aws.ec2`, `resources` the snapshot's ARN, and a `detail` of `event` (`createSnapshot`),
 * `result` (`succeeded` | `failed`), `cause`, `request-id`, `snapshot_id` and `source` (the
 * snapshot's and the volume's ARNs, `arn:aws:ec2::<region>:snapshot/<id>`), `startTime`, `endTime`.
 */
import { randomUUID } from 'node:crypto';
import { EBS_CREATE_SNAPSHOT_EVENT, EBS_SNAPSHOT_NOTIFICATION, EC2_SOURCE } from '#contracts/names.ts';
import type { EventEnvelope, LocalEventBus } from '../interfaces.ts';
import { envelopeTime } from '../wire/envelope-time.ts';
import { notificationSnapshotArn, notificationVolumeArn } from './ids.ts';
import type { SnapshotRecord } from './records.ts';

/** Where the notification goes. */
export interface SnapshotNotificationScope {
  readonly region: string;
  readonly account: string;
}

/** The notification for a snapshot that has completed or failed. */
export function snapshotNotificationEnvelope(
  snapshot: SnapshotRecord,
  scope: SnapshotNotificationScope,
): EventEnvelope {
  const snapshotArn = notificationSnapshotArn(scope.region, snapshot.snapshotId);
  const endTime = snapshot.finishedAt ?? snapshot.startedAt;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EBS_SNAPSHOT_NOTIFICATION,
    source: EC2_SOURCE,
    account: scope.account,
    time: envelopeTime(endTime),
    region: scope.region,
    resources: [snapshotArn],
    detail: {
      event: EBS_CREATE_SNAPSHOT_EVENT,
      result: snapshot.state === 'completed' ? 'succeeded' : 'failed',
      cause: snapshot.state === 'completed' ? '' : (snapshot.statusMessage ?? ''),
      'request-id': snapshot.requestId,
      snapshot_id: snapshotArn,
      source: notificationVolumeArn(scope.region, snapshot.volumeId),
      startTime: envelopeTime(snapshot.startedAt),
      endTime: envelopeTime(endTime),
    },
  };
}

/**
 * A notifier for {@link LocalVolumeStoreOptions.onSnapshotFinished}: puts the notification on
 * `busName` (the account's default bus, where AWS puts `aws.ec2` events). Called inside the store's
 * transaction that records the snapshot's end, so the two commit together.
 */
export function snapshotNotifier(
  bus: LocalEventBus,
  busName: string,
  scope: SnapshotNotificationScope,
): (snapshot: SnapshotRecord) => void {
  return function notifySnapshotFinished(snapshot) {
    bus.accept(busName, [snapshotNotificationEnvelope(snapshot, scope)]);
  };
}
