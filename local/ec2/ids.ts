/** EC2-shaped ids and the ARNs the EBS snapshot notification names resources by. */
import { randomBytes } from 'node:crypto';

/** `vol-` or `snap-` and 17 lower-case hex digits, as EC2's current ids. */
const newId = (prefix: 'vol' | 'snap'): string => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;

/** A new volume id, `vol-` and 17 hex digits. */
export const newVolumeId = (): string => newId('vol');

/** A new snapshot id, `snap-` and 17 hex digits. */
export const newSnapshotId = (): string => newId('snap');

/** Matches the ids {@link newVolumeId} and {@link newSnapshotId} give (and EC2's older 8-digit ones). */
export const VOLUME_ID = /^vol-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const SNAPSHOT_ID = /^snap-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/**
 * The snapshot's ARN as the `EBS Snapshot Notification` writes it: `arn:aws:ec2::<region>:snapshot/<id>`
 * (region in the account field, no account), as in the sample of
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html#create-snapshot-complete.
 */
export const notificationSnapshotArn = (region: string, snapshotId: string): string =>
  `arn:aws:ec2::${region}:snapshot/${snapshotId}`;

/** The source volume's ARN in the same notification: `arn:aws:ec2::<region>:volume/<id>`. */
export const notificationVolumeArn = (region: string, volumeId: string): string =>
  `arn:aws:ec2::${region}:volume/${volumeId}`;
