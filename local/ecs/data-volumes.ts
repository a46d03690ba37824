/** What the local ECS agent needs from the local EBS store. */
export interface EcsDataVolumes {
  /** Creates a volume for a task (restored from `snapshotId` when given) and attaches it (`in-use`). */
  createForTask(input: {
    readonly taskArn: string;
    readonly sizeGiB: number;
    readonly snapshotId?: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly deleteOnTermination: boolean;
  }): Promise<{ readonly volumeId: string; readonly directory: string }>;
  /** The task stopped: the volume becomes `available`, or is deleted when `deleteOnTermination`. */
  releaseFromTask(volumeId: string): Promise<void>;
  /** The volume's directory, while the volume exists (for a task adopted after a restart). */
  directoryOf(volumeId: string): string | undefined;
  /** True when the snapshot exists and is `completed` (RunTask's check). */
  snapshotUsable(snapshotId: string): boolean;
}
