import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEcsEmulator,
  type EcsEmulator,
  type EcsEmulatorOptions,
  type EcsTaskDefinition,
} from '#local/ecs/index.ts';
import { createEventBus } from '#local/eventbridge/index.ts';
import type { AcceptedEvent, LocalDatabase, LocalEventBus } from '#local/interfaces.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';

export const CODEX: EcsTaskDefinition = {
  family: 'workspace-codex',
  image: 'ghcr.io/molecule-ai/workspace-template-codex:latest',
  containerName: 'workspace',
  containerPort: 8000,
};

export const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-local'], securityGroups: ['sg-local'] } };

/** A minimal valid RunTask request for `CODEX`. */
export function runTaskRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: 'workspaces',
    taskDefinition: 'workspace-codex',
    launchType: 'FARGATE',
    networkConfiguration: NETWORK,
    ...overrides,
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)): { now(): number; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

/** A temporary state directory, removed by the returned cleanup. */
export function temporaryStateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'local-stack-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface EcsHarness {
  readonly database: LocalDatabase;
  readonly bus: LocalEventBus;
  readonly ecs: EcsEmulator;
  readonly lines: string[];
  /** Task state change details on the bus, in order. */
  stateChanges(taskArn?: string): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** An ECS emulator over an in-memory (or given) database, with the simulated driver by default. */
export function ecsHarness(
  options: Partial<EcsEmulatorOptions> & { database?: LocalDatabase } = {},
): EcsHarness {
  const database = options.database ?? openDatabase(IN_MEMORY);
  const bus = options.bus ?? createEventBus(database);
  const lines: string[] = [];
  const ecs = createEcsEmulator({
    taskDefinitions: [CODEX],
    driver: 'simulated',
    simulatedStepMs: 1,
    log: (line) => lines.push(line),
    ...options,
    database,
    bus,
  });
  return {
    database,
    bus,
    ecs,
    lines,
    stateChanges(taskArn) {
      return bus
        .list({ detailType: 'ECS Task State Change' })
        .map((event: AcceptedEvent) => event.envelope.detail as Record<string, unknown>)
        .filter((detail) => taskArn === undefined || detail.taskArn === taskArn);
    },
    async close() {
      await ecs.close();
      if (options.database === undefined) database.close();
    },
  };
}

/** Polls `condition` until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The AwsApiError a call throws, for asserting its code and fields. */
export function thrown(call: () => unknown): {
  code?: string;
  message?: string;
  statusCode?: number;
  fields?: unknown;
} {
  try {
    call();
  } catch (error) {
    return error as { code?: string; message?: string; statusCode?: number; fields?: unknown };
  }
  throw new Error('expected the call to throw');
}

/** `CODEX` with the boot step and `WORKSPACE_CONFIG_PATH`, as the stack's task definitions have them. */
export const CODEX_WITH_BOOT: EcsTaskDefinition = {
  ...CODEX,
  environment: { WORKSPACE_CONFIG_PATH: '/configs' },
  bootStep: {
    containerName: 'boot',
    image: 'public.ecr.aws/docker/library/busybox@sha256:0000',
    volumeName: 'configs',
    mountPath: '/configs',
  },
};
