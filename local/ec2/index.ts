/** The local stack's EBS: the volume store, its EC2 Query endpoint and its snapshot notifications. */
export { type CopyDirectory, copyDirectory } from './copy-directory.ts';
export { answerEc2, EC2_ACTIONS, type Ec2EndpointOptions, ec2Route } from './ec2-endpoint.ts';
export { Ec2ApiError, VolumeCreationError } from './errors.ts';
export type { Ec2Filter } from './filters.ts';
export { notificationSnapshotArn, notificationVolumeArn } from './ids.ts';
export type { LocalSnapshotState, LocalVolumeState, SnapshotRecord, VolumeRecord } from './records.ts';
export {
  type SnapshotNotificationScope,
  snapshotNotificationEnvelope,
  snapshotNotifier,
} from './snapshot-notification.ts';
export {
  type DescribeSnapshotsQuery,
  type DescribeVolumesQuery,
  LocalVolumeStore,
  type LocalVolumeStoreOptions,
} from './volume-store.ts';
