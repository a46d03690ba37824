/**
 * Every line the stack and the CLI print is one line with no control character in it, whatever the
 * events and processes it reports hold (issue 10, finding 3: a newline or an ANSI escape in an id,
 * `reason` or detail-type forged log lines and cleared the screen). Tested on the outputs, not on
 * the call sites: the activity log, the ECS emulator's task lines, the process driver's relay of a
 * workspace's output, the stand-in's own lines, and the CLI's `events` and `status` lines.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { formatEventLine } from '#local/cli/format.ts';
import { deriveWorkspaceStatus, formatWorkspaceStatus } from '#local/cli/status.ts';
import type { AcceptedEvent, EventEnvelope } from '#local/interfaces.ts';
import type { Invocation } from '#local/lambda/invoker.ts';
import type { Route } from '#local/routing/routes.ts';
import { activityLog } from '#local/stack/activity-log.ts';
import { hasUnsafeCharacter, safeText } from '#local/wire/safe-text.ts';
import { CODEX, type EcsHarness, ecsHarness, runTaskRequest, waitFor } from './helpers.ts';

/** The attacks reported, and the other control characters a terminal obeys. */
const ATTACKS: ReadonlyArray<readonly [string, string, string]> = [
  [
    'a newline forges a log line',
    'ws-1\n12:00:00.000 event  #9 Workspace Running',
    'ws-1\\n12:00:00.000 event  #9 Workspace Running',
  ],
  ['a carriage return overwrites the line', 'ws-1\rforged', 'ws-1\\rforged'],
  ['clear-screen', 'x\x1b[2Jy', 'x\\x1b[2Jy'],
  ['a colour escape', '\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
  ['NUL', 'a\0b', 'a\\x00b'],
  ['a tab', 'a\tb', 'a\\tb'],
  ['DEL', 'a\x7fb', 'a\\x7fb'],
  ['a C1 CSI (U+009B)', 'a\x9b2Jb', 'a\\x9b2Jb'],
  ['NEL (U+0085)', 'a\x85b', 'a\\x85b'],
  ['the line separator U+2028', 'a\u2028b', 'a\\u2028b'],
  ['the paragraph separator U+2029', 'a\u2029b', 'a\\u2029b'],
  ['plain text', 'ws-1 café ✓ \\n', 'ws-1 café ✓ \\n'],
];

/** Strings rich in control characters, mixed with any other character. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\n', '\r', '\t', '\0', '\x1b', '\x7f', '\x85', '\x9b', '\u2028', '\u2029', '[2J'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

const expectSafeLines = (lines: readonly string[]): void => {
  for (const line of lines) expect(hasUnsafeCharacter(line), JSON.stringify(line)).toBe(false);
};

describe('safeText', () => {
  it.each(ATTACKS)('escapes %s', (_name, input, printed) => {
    expect(safeText(input)).toBe(printed);
  });

  it('leaves no control character, changes nothing else, and is idempotent', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const printed = safeText(text);
        expect(hasUnsafeCharacter(printed)).toBe(false);
        expect(safeText(printed)).toBe(printed);
        if (!hasUnsafeCharacter(text)) expect(printed).toBe(text);
      }),
    );
  });
});

const envelope = (detailType: string, detail: Record<string, unknown>): EventEnvelope => ({
  version: '0',
  id: 'e-1',
  'detail-type': detailType,
  source: 'platform.workspace-server',
  account: '000000000000',
  time: '2026-01-01T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('the activity log', () => {
  it('prints one safe line per report, whatever the ids, detail-type, reason and errors hold', () => {
    fc.assert(
      fc.property(
        hostile.filter((type) => type !== 'ECS Task State Change'),
        hostile,
        hostile,
        hostile,
        hostile,
        (detailType, workspaceId, requestId, reason, message) => {
          const lines: string[] = [];
          const log = activityLog((line) => lines.push(line));
          const event = {
            seq: 1,
            envelope: envelope(detailType, { workspaceId, requestId, reason, runtime: reason }),
          } as unknown as AcceptedEvent;
          const route = { target: 'provision' } as unknown as Route;
          const invocation = {
            functionName: 'provision',
            attempts: 1,
            event: event.envelope,
          } as unknown as Invocation;
          const error = { errorType: message, errorMessage: message, trace: [] };
          log.router.routed?.(event, [route]);
          log.router.retrying?.(event, route, 1, 1000, message);
          log.router.gaveUp?.(event, route, 'dlq', message);
          log.router.error?.(new Error(message));
          log.invoker.succeeded?.(invocation, 3);
          log.invoker.retrying?.(invocation, error, 1000);
          log.invoker.failed?.(invocation, 'RetriesExhausted', error, {
            onFailure: 'failure-reporter',
            deadLetterQueue: true,
          });
          log.invoker.error?.(new Error(message));
          expect(lines).toHaveLength(8);
          expectSafeLines(lines);
        },
      ),
    );
  });
});

describe("the CLI's lines", () => {
  const typesWithFields = [...Object.values(DETAIL_TYPES), 'ECS Task State Change'];

  it('prints one safe `events` line per event, whatever its fields hold', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...typesWithFields), hostile),
        hostile,
        hostile,
        (type, id, text) => {
          const line = formatEventLine(
            envelope(type, {
              workspaceId: id,
              startedBy: id,
              requestId: text,
              reason: text,
              runtime: text,
              taskArn: `arn:aws:ecs:us-east-1:0:task/workspaces/${text}`,
              image: text,
              overlay: { template: text, config: { text } },
              errors: [{ path: text, message: text }],
              plugin: { name: text, source: text },
              lastStatus: text,
            }),
          );
          expectSafeLines([line]);
          expect(line.split('\n')).toHaveLength(1);
        },
      ),
    );
  });

  it('prints `status` as labelled lines only, whatever the events hold', () => {
    const label = /^(workspace|status|request|runtime|kind|task|image|overlay|failure|rejected) +\S?/;
    fc.assert(
      fc.property(hostile, hostile, (id, text) => {
        const events = [
          envelope(DETAIL_TYPES.provisionRequested, {
            workspaceId: id,
            requestId: text,
            runtime: text,
            kind: text,
          }),
          envelope(DETAIL_TYPES.taskLaunched, { workspaceId: id, taskArn: text, image: text }),
          envelope(DETAIL_TYPES.configOverlayApplied, {
            workspaceId: id,
            overlay: { template: text, plugins: [{ name: text }] },
          }),
          envelope(DETAIL_TYPES.provisionFailed, { workspaceId: id, code: text, reason: text }),
        ];
        const lines = formatWorkspaceStatus(deriveWorkspaceStatus(id, events)).split('\n');
        expectSafeLines(lines);
        const labels = lines.map((line) => label.exec(line)?.[1]);
        expect(labels).not.toContain(undefined);
        expect(new Set(labels).size).toBe(lines.length);
      }),
    );
  });
});

describe("the ECS emulator's task lines", () => {
  const harnesses: EcsHarness[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  it('prints a stop reason as one safe line', async () => {
    const samples = fc.sample(hostile, 30).concat(ATTACKS.map(([, input]) => input));
    const harness = ecsHarness();
    harnesses.push(harness);
    for (const reason of samples) {
      const taskArn = harness.ecs.runTask(runTaskRequest({ startedBy: 'ws-1' })).tasks[0]?.taskArn as string;
      harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn, reason });
      await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    }
    const stopped = harness.lines.filter((line) => line.includes(' STOPPED '));
    expect(stopped).toHaveLength(samples.length);
    expectSafeLines(harness.lines);
  });
});

describe("the process driver's relay of a workspace's output", () => {
  const harnesses: EcsHarness[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  const outputOf = (harness: EcsHarness, taskArn: string): string[] => {
    const prefix = `task   ${CODEX.family} ${taskArn.slice(taskArn.lastIndexOf('/') + 1, taskArn.lastIndexOf('/') + 9)} |`;
    return harness.lines
      .filter((line) => line.startsWith(prefix))
      .map((line) => line.slice(prefix.length + 1));
  };

  it('relays each line a command prints as one safe line, control characters escaped', async () => {
    // Each attack on its own output line; the relay splits on newlines only, as the process wrote them.
    const inputs = ATTACKS.map(([, input]) => input.replaceAll('\n', ' '));
    const script = `process.stdout.write(${JSON.stringify(`${inputs.join('\n')}\n`)})`;
    const harness = ecsHarness({
      driver: 'process',
      stopTimeoutMs: 3000,
      taskDefinitions: [{ ...CODEX, localCommand: [process.execPath, '-e', script] }],
    });
    harnesses.push(harness);
    const taskArn = harness.ecs.runTask(runTaskRequest({ startedBy: 'ws-1' })).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    // node:readline ends a line at \n, \r, U+2028 and U+2029: each piece is its own prefixed line.
    const pieces = inputs.flatMap((input) => input.split(/\r\n|[\n\r\u2028\u2029]/));
    await waitFor(() => outputOf(harness, taskArn).length >= pieces.length, 'the relayed lines');
    expect(outputOf(harness, taskArn)).toEqual(pieces.map(safeText));
    expectSafeLines(harness.lines);
  });

  it("keeps the stand-in's echo of a hostile WORKSPACE_ID on one line", async () => {
    const workspaceId = 'ws-1\n12:00:00.000 event  #9 Workspace Running\x1b[2J\u2028';
    const harness = ecsHarness({ driver: 'process', stopTimeoutMs: 3000 });
    harnesses.push(harness);
    const taskArn = harness.ecs.runTask(
      runTaskRequest({
        startedBy: 'ws-1',
        overrides: {
          containerOverrides: [
            { name: 'workspace', environment: [{ name: 'WORKSPACE_ID', value: workspaceId }] },
          ],
        },
      }),
    ).tasks[0]?.taskArn as string;
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'RUNNING', 'RUNNING');
    harness.ecs.stopTask({ cluster: 'workspaces', task: taskArn });
    await waitFor(() => harness.stateChanges(taskArn).at(-1)?.lastStatus === 'STOPPED', 'STOPPED');
    const output = outputOf(harness, taskArn);
    expect(output).toContain(`workspace-stand-in: WORKSPACE_ID=${safeText(workspaceId)}`);
    // The names line, the one WORKSPACE_* line, the ready line and the stopping line.
    expect(output.filter((line) => line.startsWith('workspace-stand-in: '))).toHaveLength(4);
    expect(output.some((line) => line.startsWith('12:00'))).toBe(false);
    expectSafeLines(harness.lines);
  });
});
