import * as z from 'zod';

/**
 * v1.3: `detail` of EBS's `EBS Snapshot Notification` (source `aws.ec2`), the notice that a
 * snapshot completed or failed (Amazon EBS User Guide, "Amazon EventBridge for Amazon EBS",
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html). The documented
 * sample of a `createSnapshot` event:
 *
 * ```json
 * "detail": {
 *   "event": "createSnapshot",
 *   "result": "succeeded",
 *   "cause": "",
 *   "request-id": "",
 *   "snapshot_id": "arn:aws:ec2::us-west-2:snapshot/snap-01234567",
 *   "source": "arn:aws:ec2::us-west-2:volume/vol-01234567",
 *   "startTime": "yyyy-mm-ddThh:mm:ssZ",
 *   "endTime": "yyyy-mm-ddThh:mm:ssZ"
 * }
 * ```
 *
 * Parsed leniently, as AWS's other events: unknown fields pass through, and only what the save
 * flow relies on (`event`, `result`, `snapshot_id`) is required. `snapshot_id` and `source` are
 * ARNs (`ec2ResourceId` takes the id from them).
 */
export const EbsSnapshotNotificationDetail = z.looseObject({
  event: z.string(),
  /** `succeeded` or `failed`. */
  result: z.string(),
  /** Why a snapshot failed; empty when it succeeded. */
  cause: z.string().optional(),
  'request-id': z.string().optional(),
  /** The snapshot's ARN. */
  snapshot_id: z.string().min(1),
  /** The source volume's ARN. */
  source: z.string().optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
});
export type EbsSnapshotNotificationDetail = z.infer<typeof EbsSnapshotNotificationDetail>;
