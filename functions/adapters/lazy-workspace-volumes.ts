/**
 * v1.3: the workspace-volumes port whose EC2 adapter (and client) load on the first call
 * (`clients/ec2.ts` says why): every Lambda entry and the local stack build their workspace volumes
 * here.
 */
import type { WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import type { Ec2ClientSource } from './clients/ec2.ts';

/** Workspace volumes over EC2, listed by the deployment's data tag, loaded when first asked. */
export function ec2WorkspaceVolumes(source: Ec2ClientSource, dataTag: string): WorkspaceVolumes {
  let loaded: Promise<WorkspaceVolumes> | undefined;
  const volumes = (): Promise<WorkspaceVolumes> => {
    loaded ??= Promise.all([import('./ec2-workspace-volumes.ts'), source()]).then(
      ([{ Ec2WorkspaceVolumes }, client]) => new Ec2WorkspaceVolumes(client, { dataTag }),
    );
    return loaded;
  };
  return {
    volumesOf: async (workspaceId) => (await volumes()).volumesOf(workspaceId),
    snapshotsOf: async (workspaceId) => (await volumes()).snapshotsOf(workspaceId),
    describeSnapshot: async (snapshotId) => (await volumes()).describeSnapshot(snapshotId),
    describeVolume: async (volumeId) => (await volumes()).describeVolume(volumeId),
    createSnapshot: async (volumeId, tags, description) =>
      (await volumes()).createSnapshot(volumeId, tags, description),
    deleteVolume: async (volumeId) => (await volumes()).deleteVolume(volumeId),
    deleteSnapshot: async (snapshotId) => (await volumes()).deleteSnapshot(snapshotId),
  };
}
