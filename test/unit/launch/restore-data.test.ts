import { describe, expect, it } from 'vitest';
import { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { planLaunch } from '#core/plan-launch.ts';
import { DATA_SAVE_POLL_MS, withRestoredData } from '#functions/launch/restore-data.ts';
import { DataSaveInProgressError } from '#policies/errors.ts';
import type { DataSnapshot, DataVolume, WorkspaceVolumes } from '#ports/workspace-volumes.ts';
import { FakeClock, quietInstrumentation, testCatalog } from '../handlers/harness.ts';

const catalog = testCatalog();
const target = { cluster: 'workspaces', subnets: ['subnet-a'], securityGroups: ['sg-1'] };
const dataVolumes = { roleArn: 'arn:aws:iam::123456789012:role/infra', dataTag: 'wp-test' };
const request = (storage?: unknown) =>
  ProvisionRequestedDetail.parse({
    requestId: 'r-1',
    workspaceId: 'ws-1',
    orgId: 'org-1',
    runtime: 'codex',
    ...(storage === undefined ? {} : { storage }),
  });

/** EC2 as a script: each listing returns the next state, the last one from then on. */
class ScriptedVolumes implements WorkspaceVolumes {
  listings = 0;
  constructor(private readonly states: ReadonlyArray<{ volumes: DataVolume[]; snapshots: DataSnapshot[] }>) {}
  #state() {
    return this.states[Math.min(this.listings, this.states.length - 1)] ?? { volumes: [], snapshots: [] };
  }
  async volumesOf() {
    return this.#state().volumes;
  }
  async snapshotsOf() {
    const state = this.#state();
    this.listings += 1;
    return state.snapshots;
  }
  async availableVolumes(): Promise<DataVolume[]> {
    throw new Error('not used by a restore');
  }
  async describeSnapshot(): Promise<DataSnapshot | undefined> {
    throw new Error('not used by a restore');
  }
  async describeVolume(): Promise<DataVolume | undefined> {
    throw new Error('not used by a restore');
  }
  async createSnapshot(): Promise<string> {
    throw new Error('a restore never snapshots');
  }
  async deleteVolume(): Promise<'deleted'> {
    throw new Error('a restore never deletes');
  }
  async deleteSnapshot(): Promise<'deleted'> {
    throw new Error('a restore never deletes');
  }
}

const completed: DataSnapshot = {
  snapshotId: 'snap-1',
  state: 'completed',
  sizeGiB: 20,
  startedAt: 1,
  volumeId: 'vol-1',
  tags: {},
};
const attached: DataVolume = { volumeId: 'vol-2', state: 'in-use', sizeGiB: 20, tags: {} };

function setup(states: ConstructorParameters<typeof ScriptedVolumes>[0], waitSeconds = 60) {
  const clock = new FakeClock();
  const volumes = new ScriptedVolumes(states);
  const ports = {
    workspaceVolumes: volumes,
    clock,
    settings: { dataVolumes, dataSaveWaitSeconds: waitSeconds },
    instrumentation: quietInstrumentation(),
  };
  return { clock, volumes, ports };
}

describe('withRestoredData', () => {
  it('leaves an ephemeral launch alone, without asking EC2 anything', async () => {
    const { volumes, ports, clock } = setup([]);
    const plan = planLaunch(request(), catalog, target);
    const outcome = await withRestoredData(plan, request(), ports, {
      waitingSince: clock.now(),
      budgetEnd: clock.now() + 50_000,
    });
    expect(outcome).toEqual({ outcome: 'ready', plan });
    expect(volumes.listings).toBe(0);
  });

  it('gives a first launch an empty volume, and a later one the latest snapshot', async () => {
    const persistent = request({ persistent: true });
    const plan = planLaunch(persistent, catalog, target);
    for (const [snapshots, from] of [
      [[], undefined],
      [[completed], 'snap-1'],
    ] as const) {
      const { ports, clock } = setup([{ volumes: [], snapshots: [...snapshots] }]);
      const outcome = await withRestoredData(plan, persistent, ports, {
        waitingSince: clock.now(),
        budgetEnd: clock.now() + 50_000,
      });
      if (outcome.outcome !== 'ready') throw new Error(`expected ready, got ${outcome.outcome}`);
      const volume = outcome.plan.runTaskInput.volumeConfigurations?.[0]?.managedEBSVolume;
      expect(volume?.snapshotId).toBe(from);
      expect(volume?.roleArn).toBe(dataVolumes.roleArn);
      expect(volume?.terminationPolicy).toEqual({ deleteOnTermination: false });
    }
  });

  it('waits while the previous task is still being saved, then restores what it saved', async () => {
    const persistent = request({ persistent: true });
    const saved = { ...completed, snapshotId: 'snap-2', volumeId: 'vol-2', startedAt: 2 };
    const { ports, clock, volumes } = setup([
      { volumes: [attached], snapshots: [completed] },
      {
        volumes: [{ ...attached, state: 'available' }],
        snapshots: [completed, { ...saved, state: 'pending' }],
      },
      // Saved, but Data Saved and the volume's deletion are still to come.
      { volumes: [{ ...attached, state: 'available' }], snapshots: [completed, saved] },
      { volumes: [], snapshots: [completed, saved] },
    ]);
    const started = clock.now();
    const outcome = await withRestoredData(planLaunch(persistent, catalog, target), persistent, ports, {
      waitingSince: started,
      budgetEnd: started + 50_000,
    });
    if (outcome.outcome !== 'ready') throw new Error(`expected ready, got ${outcome.outcome}`);
    expect(outcome.plan.runTaskInput.volumeConfigurations?.[0]?.managedEBSVolume.snapshotId).toBe('snap-2');
    expect(volumes.listings).toBe(4);
    expect(clock.now() - started).toBe(3 * DATA_SAVE_POLL_MS);
  });

  it('fails with DATA_SAVE_PENDING once the deployment wait is over, launching nothing', async () => {
    const persistent = request({ persistent: true });
    const { ports, clock } = setup([{ volumes: [attached], snapshots: [] }], 5);
    const started = clock.now();
    const outcome = await withRestoredData(planLaunch(persistent, catalog, target), persistent, ports, {
      waitingSince: started,
      budgetEnd: started + 50_000,
    });
    expect(outcome).toMatchObject({ outcome: 'failed', code: 'DATA_SAVE_PENDING' });
    expect(clock.now() - started).toBeLessThanOrEqual(5_000);
  });

  it('counts the deployment wait from the first attempt, not from this invocation', async () => {
    const persistent = request({ persistent: true });
    const { ports, clock } = setup([{ volumes: [attached], snapshots: [] }], 60);
    const outcome = await withRestoredData(planLaunch(persistent, catalog, target), persistent, ports, {
      waitingSince: clock.now() - 60_000,
      budgetEnd: clock.now() + 50_000,
    });
    expect(outcome).toMatchObject({ outcome: 'failed', code: 'DATA_SAVE_PENDING' });
  });

  it("throws a retryable error when the invocation's time runs out first", async () => {
    const persistent = request({ persistent: true });
    const { ports, clock } = setup([{ volumes: [attached], snapshots: [] }], 240);
    await expect(
      withRestoredData(planLaunch(persistent, catalog, target), persistent, ports, {
        waitingSince: clock.now(),
        budgetEnd: clock.now() + 3_000,
      }),
    ).rejects.toBeInstanceOf(DataSaveInProgressError);
  });

  it('fails with DATA_SAVE_FAILED when the last save failed', async () => {
    const persistent = request({ persistent: true });
    const failed = { ...completed, snapshotId: 'snap-9', state: 'error' as const, volumeId: 'vol-2' };
    const { ports, clock } = setup([
      { volumes: [{ ...attached, state: 'available' }], snapshots: [completed, failed] },
    ]);
    const outcome = await withRestoredData(planLaunch(persistent, catalog, target), persistent, ports, {
      waitingSince: clock.now(),
      budgetEnd: clock.now() + 50_000,
    });
    expect(outcome).toMatchObject({ outcome: 'failed', code: 'DATA_SAVE_FAILED' });
  });

  it('fails a persistent launch clearly where the deployment has no data volume role', async () => {
    const persistent = request({ persistent: true });
    const { ports, clock } = setup([]);
    const outcome = await withRestoredData(
      planLaunch(persistent, catalog, target),
      persistent,
      { ...ports, settings: {} },
      { waitingSince: clock.now(), budgetEnd: clock.now() + 50_000 },
    );
    expect(outcome).toMatchObject({ outcome: 'failed', code: 'LAUNCH_FAILED' });
  });
});
