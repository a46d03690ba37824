import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '#local/stack.ts';

/** Dummy credentials: the local stack accepts any. Explicit, so no `AWS_*` variable is read. */
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** The real SDK clients, pointed at a local stack. */
export function clientsFor(url: string, region = 'us-east-1') {
  const config = { endpoint: url, region, credentials: CREDENTIALS, maxAttempts: 1 };
  return { events: new EventBridgeClient(config), ecs: new ECSClient(config) };
}

export interface TestStack {
  readonly stack: LocalStack;
  readonly stateDir: string;
  readonly events: EventBridgeClient;
  readonly ecs: ECSClient;
  stop(): Promise<void>;
}

/** A fresh temporary state directory. */
export const tempStateDir = (): string => mkdtempSync(join(tmpdir(), 'workspace-provisioner-'));

/** Starts a quiet stack on a free port with its own state directory (simulated driver by default). */
export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  const stateDir = options.stateDir ?? tempStateDir();
  const stack = await startLocalStack({ port: 0, driver: 'simulated', quiet: true, ...options, stateDir });
  const { events, ecs } = clientsFor(stack.url, stack.region);
  return {
    stack,
    stateDir,
    events,
    ecs,
    async stop() {
      await stack.stop();
      events.destroy();
      ecs.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A workspace id no other test uses. */
export const uniqueId = (prefix: string): string =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** Publishes one request with PutEvents; fails the test on a failed entry. */
export async function publish(
  events: EventBridgeClient,
  detailType: string,
  detail: unknown,
  source = 'platform.workspace-server',
): Promise<string> {
  const response = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: source,
          DetailType: detailType,
          Detail: JSON.stringify(detail),
          EventBusName: 'workspaces',
        },
      ],
    }),
  );
  const entry = response.Entries?.[0];
  if (response.FailedEntryCount || !entry?.EventId) {
    throw new Error(`PutEvents failed: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  }
  return entry.EventId;
}

export const provisionRequest = (
  workspaceId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> => ({
  requestId: `req-${workspaceId}`,
  workspaceId,
  orgId: 'org-1',
  runtime: 'codex',
  ...overrides,
});

export const publishProvision = (events: EventBridgeClient, detail: Record<string, unknown>) =>
  publish(events, DETAIL_TYPES.provisionRequested, detail);

export const publishDeprovision = (
  events: EventBridgeClient,
  workspaceId: string,
  requestId = `dereq-${workspaceId}`,
) => publish(events, DETAIL_TYPES.deprovisionRequested, { requestId, workspaceId });

/** Events of one detail-type about one workspace. */
export const about = (
  events: readonly EventEnvelope[],
  detailType: string,
  workspaceId: string,
): EventEnvelope[] =>
  events.filter(
    (event) =>
      event['detail-type'] === detailType &&
      (event.detail as { workspaceId?: string } | null)?.workspaceId === workspaceId,
  );

/** A predicate for waitForEvents: an event of each detail-type about the workspace is in. */
export const hasAll =
  (workspaceId: string, ...detailTypes: string[]) =>
  (events: readonly EventEnvelope[]): boolean =>
    detailTypes.every((detailType) => about(events, detailType, workspaceId).length > 0);

/** Every task ECS has for a workspace (`startedBy`), live or stopped, described. */
export async function tasksOf(ecs: ECSClient, workspaceId: string): Promise<Task[]> {
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: 'workspaces', startedBy: workspaceId, desiredStatus }),
    );
    arns.push(...(listed.taskArns ?? []));
  }
  if (arns.length === 0) return [];
  const described = await ecs.send(new DescribeTasksCommand({ cluster: 'workspaces', tasks: arns }));
  return described.tasks ?? [];
}

/**
 * Waits until the stack has nothing queued, running or due: every accepted event routed and every
 * invocation settled (seen twice in a row, 50 ms apart, so a follow-up event has time to land).
 */
export async function settled(stack: LocalStack, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietReads = 0;
  while (quietReads < 2) {
    if (Date.now() > deadline) throw new Error(`the stack did not settle: ${JSON.stringify(stack.state())}`);
    const { backlog, deliveries } = stack.state();
    const busy =
      deliveries.pending + Object.values(backlog).reduce((sum, lane) => sum + lane.queued + lane.running, 0);
    quietReads = busy === 0 ? quietReads + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens the stack's database read-only (WAL lets it be read while the stack writes). */
export async function readDatabase<T>(
  path: string,
  read: (db: import('node:sqlite').DatabaseSync) => T,
): Promise<T> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
