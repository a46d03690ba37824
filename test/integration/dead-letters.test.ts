import { rmSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { runCli } from '#local/cli/main.ts';
import { type LocalStack, startLocalStack, waitForEvents } from '#local/stack.ts';
import { DEAD_LETTER_QUEUES } from '#wiring/dead-letter-queues.ts';
import {
  CREDENTIALS,
  clientsFor,
  hasAll,
  provisionRequest,
  publishDeprovision,
  publishProvision,
  tasksOf,
  tempStateDir,
  uniqueId,
} from './helpers.ts';

const DEPROVISION_DLQ = 'WorkspaceProvisioner-deprovision-dlq';
/** Lambda's retry gaps of 1 and 2 minutes become 10 and 20 ms. */
const RETRY_DELAY_SCALE = 1 / 6000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(stateDir: string, functionErrors?: string[]): Promise<LocalStack> {
  const stack = await startLocalStack({
    port: 0,
    driver: 'simulated',
    quiet: true,
    stateDir,
    retryDelayScale: RETRY_DELAY_SCALE,
    ...(functionErrors ? { faults: { functionErrors } } : {}),
  });
  cleanups.push(() => stack.stop());
  return stack;
}

/** The real clients with only endpoint, region and credentials set. */
function awsClients(url: string) {
  const config = { endpoint: url, region: 'us-east-1', credentials: CREDENTIALS };
  const sqs = new SQSClient(config);
  const lambda = new LambdaClient(config);
  cleanups.push(() => {
    sqs.destroy();
    lambda.destroy();
  });
  return { sqs, lambda };
}

async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
}

async function untilDepth(sqs: SQSClient, queueUrl: string, expected: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await depth(sqs, queueUrl)) !== expected) {
    if (Date.now() > deadline) throw new Error(`${queueUrl} did not reach ${expected} messages`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) },
    out,
    err,
  };
};

describe('the local stack serves SQS and Lambda Invoke to the real clients', () => {
  it('lists, receives, deletes and invokes; unknown queues and functions fail as on AWS', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const stack = await start(stateDir, ['deprovision']);
    const { events } = clientsFor(stack.url);
    cleanups.push(() => events.destroy());
    const { sqs, lambda } = awsClients(stack.url);

    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'WorkspaceProvisioner-' }));
    expect(listed.QueueUrls?.sort()).toEqual(
      DEAD_LETTER_QUEUES.map((queue) => `${stack.url}/000000000000/${queue.queueName}`).sort(),
    );
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: DEPROVISION_DLQ }));
    expect(QueueUrl).toBe(`${stack.url}/000000000000/${DEPROVISION_DLQ}`);
    await expect(
      sqs.send(new GetQueueUrlCommand({ QueueName: 'WorkspaceProvisioner-nope-dlq' })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist', Code: 'AWS.SimpleQueueService.NonExistentQueue' });

    const workspaceId = uniqueId('dlq-read');
    await publishDeprovision(events, workspaceId);
    await untilDepth(sqs, QueueUrl as string, 1);

    // The SDK checks MD5OfBody on every message: receiving at all proves it right.
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(received.Messages).toHaveLength(1);
    const [message] = received.Messages ?? [];
    const body = JSON.parse(message?.Body ?? '{}');
    expect(body['detail-type']).toBe(DETAIL_TYPES.deprovisionRequested);
    expect(body.detail.workspaceId).toBe(workspaceId);
    expect(message?.MessageAttributes).toEqual({
      RequestID: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: expect.stringContaining('injected fault') },
    });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    // Received with a 30 s visibility timeout: hidden now.
    expect(await depth(sqs, QueueUrl as string)).toBe(0);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();

    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible', 'QueueArn'],
      }),
    );
    expect(Attributes).toEqual({
      ApproximateNumberOfMessagesNotVisible: '0',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${DEPROVISION_DLQ}`,
    });

    const invoked = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:WorkspaceProvisioner-deprovision',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(message?.Body ?? ''),
      }),
    );
    expect(invoked.StatusCode).toBe(202);
    // Queued like any invocation: the fault is still on, so it fails its retries and is back in the DLQ.
    await untilDepth(sqs, QueueUrl as string, 1);

    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'WorkspaceProvisioner-nope', InvocationType: 'Event' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });
});

describe('workspaces dead-letters on the local stack', () => {
  it('redrives deprovision requests a fault dead-lettered, and they then reach Workspace Deprovisioned', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const workspaces = [uniqueId('dlq-a'), uniqueId('dlq-b')];

    // 1. A stack whose deprovision function fails: the workspaces run, their deprovisions dead-letter.
    const faulty = await start(stateDir, ['deprovision']);
    const first = clientsFor(faulty.url);
    cleanups.push(() => first.events.destroy());
    for (const workspaceId of workspaces) await publishProvision(first.events, provisionRequest(workspaceId));
    await waitForEvents(
      faulty.url,
      (events) => workspaces.every((workspaceId) => hasAll(workspaceId, DETAIL_TYPES.running)(events)),
      15_000,
    );
    for (const workspaceId of workspaces) await publishDeprovision(first.events, workspaceId);
    const faultyClients = awsClients(faulty.url);
    const { QueueUrl } = await faultyClients.sqs.send(new GetQueueUrlCommand({ QueueName: DEPROVISION_DLQ }));
    await untilDepth(faultyClients.sqs, QueueUrl as string, 2);
    // Consumers heard of the failure when the retries were spent.
    await waitForEvents(
      faulty.url,
      (events) =>
        workspaces.every((workspaceId) => hasAll(workspaceId, DETAIL_TYPES.deprovisionFailed)(events)),
      15_000,
    );
    await faulty.stop();

    // 2. The same state, without the fault.
    const fixed = await start(stateDir);
    const second = clientsFor(fixed.url);
    cleanups.push(() => {
      second.events.destroy();
      second.ecs.destroy();
    });
    for (const workspaceId of workspaces) {
      expect((await tasksOf(second.ecs, workspaceId)).map((task) => task.lastStatus)).toEqual(['RUNNING']);
    }

    const list = capture();
    expect(
      await runCli(['dead-letters', 'list', '--queue', 'deprovision', '--endpoint', fixed.url], list.io),
    ).toBe(0);
    expect(list.out[0]).toMatch(
      new RegExp(`^${DEPROVISION_DLQ}: 2 message\\(s\\) for deprovision, oldest \\d+s$`),
    );
    for (const workspaceId of workspaces) {
      expect(
        list.out.some((line) => line.includes(`workspace=${workspaceId}`) && line.includes('injected fault')),
      ).toBe(true);
    }

    const dryRun = capture();
    expect(await runCli(['dead-letters', 'redrive', '--dry-run', '--endpoint', fixed.url], dryRun.io)).toBe(
      0,
    );
    expect(dryRun.out.at(-1)).toBe('dry run: would redrive 2 message(s); nothing was sent or deleted');
    const { sqs } = awsClients(fixed.url);
    expect(await depth(sqs, QueueUrl as string)).toBe(2);

    const redrive = capture();
    expect(await runCli(['dead-letters', 'redrive', '--endpoint', fixed.url], redrive.io)).toBe(0);
    expect(redrive.err).toEqual([]);
    expect(redrive.out.at(-1)).toBe('redrove 2 message(s)');
    expect(await depth(sqs, QueueUrl as string)).toBe(0);

    await waitForEvents(
      fixed.url,
      (events) => workspaces.every((workspaceId) => hasAll(workspaceId, DETAIL_TYPES.deprovisioned)(events)),
      15_000,
    );
    for (const workspaceId of workspaces) {
      expect((await tasksOf(second.ecs, workspaceId)).map((task) => task.desiredStatus)).toEqual(['STOPPED']);
    }
    const after = capture();
    await runCli(['dead-letters', 'list', '--queue', 'deprovision', '--endpoint', fixed.url], after.io);
    expect(after.out).toEqual([`${DEPROVISION_DLQ}: 0 message(s) for deprovision`, '0 dead letter(s)']);
  });
});
