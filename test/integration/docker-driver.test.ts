/**
 * The local stack on the `docker` driver, end to end against a real Docker engine: the stand-in
 * image of each runtime (scripts/build-stand-in-images.sh, `docker import`, no registry) runs as the
 * workspace container. Needs an engine (`docker version` answering, DOCKER_HOST honoured): without
 * one the file says why on one line and its tests are skipped, except under CI, where it fails.
 */
import type { Task } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { TASK_ARN_LABEL } from '#local/ecs/drivers/docker.ts';
import { waitForEvents } from '#local/stack.ts';
import { buildStandInImages, containersOf, docker, dockerEngineFor } from '../docker-engine.ts';
import {
  about,
  hasAll,
  provisionRequest,
  publishDeprovision,
  publishProvision,
  startTestStack,
  type TestStack,
  tasksOf,
  uniqueId,
} from './helpers.ts';

const engine = dockerEngineFor('docker-driver.test.ts');

/** Image pull, container start and `docker stop` take seconds, not the simulated driver's milliseconds. */
const EVENT_TIMEOUT_MS = 60_000;

/** The container of a task, by the name the driver gives it. */
const containerOf = (task: Task): string => `ecs-local-${task.taskArn?.split('/').at(-1)}`;

/** The container's environment, as the engine holds it. */
function environmentOf(container: string): Record<string, string> {
  const inspected = docker('inspect', '--format', '{{json .Config.Env}}', container);
  expect(inspected.status).toBe(0);
  const pairs = JSON.parse(inspected.stdout) as string[];
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** The host port the container's port 8000 is published on (`docker port`). */
function publishedPort(container: string): number {
  const port = docker('port', container, '8000/tcp');
  expect(port.status).toBe(0);
  return Number(port.stdout.split('\n')[0]?.split(':').at(-1));
}

/** Answers of the stand-in are only there once it listens; the container runs a moment before. */
async function fetchWhenListening(url: string, timeoutMs = 10_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe.skipIf(!engine.available)('the local stack on the docker driver', () => {
  let local: TestStack;
  const taskArns: string[] = [];

  beforeAll(async () => {
    buildStandInImages();
    local = await startTestStack({ driver: 'docker' });
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
    // Whatever happened above, leave no container of this file behind on the shared engine.
    for (const taskArn of taskArns) docker('rm', '--force', `ecs-local-${taskArn.split('/').at(-1)}`);
  });

  describe.each(['workspace', 'platform'] as const)('a kind=%s request', (kind) => {
    const workspaceId = uniqueId(`docker-${kind}`);
    let task: Task;

    it('runs the runtime image as a container with the system and request env, answering on its published port', async () => {
      await publishProvision(
        local.events,
        provisionRequest(workspaceId, { kind, env: { GREETING: `hello ${kind}` } }),
      );
      await waitForEvents(local.stack.url, hasAll(workspaceId, DETAIL_TYPES.running), EVENT_TIMEOUT_MS);
      const tasks = await tasksOf(local.ecs, workspaceId);
      expect(tasks.map((candidate) => candidate.lastStatus)).toEqual(['RUNNING']);
      task = tasks[0] as Task;
      taskArns.push(task.taskArn as string);

      const container = containerOf(task);
      expect(docker('inspect', '--format', '{{.State.Status}} {{.Config.Image}}', container).stdout).toBe(
        `running ${task.containers?.[0]?.image}`,
      );
      expect(environmentOf(container)).toMatchObject({
        WORKSPACE_ID: workspaceId,
        WORKSPACE_KIND: kind,
        WORKSPACE_RUNTIME: 'codex',
        GREETING: `hello ${kind}`,
        PORT: '8000',
      });
      const answer = await fetchWhenListening(`http://127.0.0.1:${publishedPort(container)}/`);
      expect(answer.status).toBe(200);
      // The stand-in reports how it booted: names only, and the files the boot step wrote to /configs.
      expect(await answer.json()).toEqual({
        workspaceId,
        kind,
        env: expect.arrayContaining([
          'GREETING',
          'PORT',
          'WORKSPACE_CONFIG_PATH',
          'WORKSPACE_ID',
          'WORKSPACE_KIND',
        ]),
        configs: expect.arrayContaining([
          { path: 'config.yaml', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        ]),
        // An ephemeral workspace: the stand-in's own data directory, empty (v1.3).
        data: [],
      });
    }, 90_000);

    it('deprovisions: the container exits 0, is reported Stopped and is removed', async () => {
      await publishDeprovision(local.events, workspaceId);
      const events = await waitForEvents(
        local.stack.url,
        hasAll(workspaceId, DETAIL_TYPES.stopped, DETAIL_TYPES.deprovisioned),
        EVENT_TIMEOUT_MS,
      );

      const [stopped] = about(events, DETAIL_TYPES.stopped, workspaceId);
      expect(stopped?.detail).toMatchObject({
        taskArn: task.taskArn,
        exitCode: 0,
        stopCode: 'UserInitiated',
        cause: 'requested',
      });
      const deadline = Date.now() + 10_000;
      // The driver removes the container right after `docker wait` reports the exit.
      while (containersOf(TASK_ARN_LABEL, [task.taskArn as string]).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(containersOf(TASK_ARN_LABEL, [task.taskArn as string])).toEqual([]);
    }, 90_000);
  });

  describe('a runtime whose image is missing', () => {
    let missing: TestStack;
    const tag = `missing-${process.pid}`;
    beforeAll(async () => {
      missing = await startTestStack({ driver: 'docker', tag });
    });
    afterAll(async () => {
      await missing?.stop();
    });

    it('ends in Workspace Provision Failed, its task carrying the real pull error', async () => {
      const image = `ghcr.io/molecule-ai/workspace-template-codex:${tag}`;
      // What this engine says when it pulls the image (no registry reachable, or no such tag).
      const pull = docker('pull', '--quiet', image);
      expect(pull.status).not.toBe(0);
      const workspaceId = uniqueId('docker-missing');

      await publishProvision(missing.events, provisionRequest(workspaceId));
      const events = await waitForEvents(
        missing.stack.url,
        hasAll(workspaceId, DETAIL_TYPES.provisionFailed),
        EVENT_TIMEOUT_MS,
      );

      const [failed] = about(events, DETAIL_TYPES.provisionFailed, workspaceId);
      expect(failed?.detail).toMatchObject({ code: 'IMAGE_PULL_FAILED', retryable: false });
      const [task] = await tasksOf(missing.ecs, workspaceId);
      taskArns.push(task?.taskArn as string);
      // Stopped task error codes: https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html
      const reason = `CannotPullContainerError: ${pull.stderr.split('\n')[0]}`.slice(0, 255);
      expect({
        taskArn: task?.taskArn,
        stopCode: task?.stopCode,
        stoppedReason: task?.stoppedReason,
        containerReason: task?.containers?.[0]?.reason,
      }).toEqual({
        taskArn: (failed?.detail as { taskArn?: string } | undefined)?.taskArn,
        stopCode: 'TaskFailedToStart',
        stoppedReason: reason,
        containerReason: reason,
      });
      expect(containersOf(TASK_ARN_LABEL, [task?.taskArn as string])).toEqual([]);
    }, 90_000);
  });
});
