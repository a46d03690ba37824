/**
 * The `Workspace Task Launched` detail for a task: the task's own facts where ECS has them (a task
 * launched by an earlier request may differ from this one), the plan's otherwise.
 */
import { runtimeOfFamily } from '#adapters/ecs-task-runner.ts';
import type { Catalog, TierKey } from '#config/catalog.ts';
import { orgIdField } from '#contracts/fields.ts';
import type { ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { KINDS, type Kind, TAG_KEYS, TIERS, type Tier } from '#contracts/names.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import type { LaunchPlan } from '#core/plan-launch.ts';
import type { TaskSummary } from '#ports/task-runner.ts';

const isKind = (value: string | undefined): value is Kind =>
  (KINDS as readonly string[]).includes(value ?? '');
const asTier = (value: string | undefined): Tier | undefined => TIERS.find((tier) => String(tier) === value);

/** The task the event is about: its ARN, and what ECS says of it when ECS shows it. */
export interface LaunchedTask {
  readonly taskArn: string;
  readonly clusterArn?: string | undefined;
  readonly summary?: TaskSummary | undefined;
}

/** The launched event for a task: the task's own facts where ECS has them, the plan's otherwise. */
export function launchedDetail(
  request: ProvisionRequestedDetail,
  plan: LaunchPlan,
  task: LaunchedTask,
  context: { readonly catalog: Catalog; readonly cluster: string },
): TaskLaunchedDetail {
  const { catalog } = context;
  const summary = task.summary;
  const taggedRuntime = runtimeOfFamily(summary?.family) ?? summary?.tags[TAG_KEYS.runtime];
  const runtime = taggedRuntime && catalog.runtimes[taggedRuntime] ? taggedRuntime : request.runtime;
  const taggedKind = summary?.tags[TAG_KEYS.kind] ?? summary?.systemEnvironment.WORKSPACE_KIND;
  const tier = asTier(summary?.systemEnvironment.TIER) ?? request.tier;
  const sizing = catalog.tiers[String(tier) as TierKey];
  const orgId = orgIdField.safeParse(summary?.tags[TAG_KEYS.orgId]);
  return {
    requestId: request.requestId,
    workspaceId: request.workspaceId,
    orgId: orgId.success ? orgId.data : request.orgId,
    runtime,
    kind: isKind(taggedKind) ? taggedKind : request.kind,
    tier,
    image: summary?.image ?? catalog.runtimes[runtime]?.image ?? plan.image,
    taskArn: task.taskArn,
    clusterArn: task.clusterArn ?? summary?.clusterArn ?? context.cluster,
    cpu: summary?.cpu ?? sizing?.cpu ?? plan.cpu,
    memory: summary?.memory ?? sizing?.memory ?? plan.memory,
    ...(request.template ? { template: request.template } : {}),
    ...storageDetail(plan),
  };
}

/** v1.3: the data volume this launch gave the task, as Task Launched says it. */
function storageDetail(plan: LaunchPlan): Pick<TaskLaunchedDetail, 'storage'> {
  const volume = plan.runTaskInput.volumeConfigurations?.[0]?.managedEBSVolume;
  if (!volume) return {};
  return {
    storage: {
      persistent: true,
      sizeGiB: volume.sizeInGiB,
      path: plan.runtime.dataPath,
      ...(volume.snapshotId ? { restoredFrom: volume.snapshotId } : {}),
    },
  };
}
