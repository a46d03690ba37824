/**
 * The README is tested (issue 10, finding 8): the local walk-through's commands run against a stack
 * started as `npm start` starts it, and every ```console and ```text block of the walk-through must
 * have the shape of what really comes out. Times, durations, ids (uuids, task ids, event numbers),
 * ports, ARNs and the state directory may differ; nothing else. A block with a line `… (shortened)`
 * shows some of the real lines (each must still be real); any other block shows all of them. Not
 * run: `npm ci` (the install itself) and the `aws` samples (the AWS CLI is not a dependency; the SDK
 * calls behind it are tested in test/integration/outside-settings.test.ts and the flow tests).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { waitForEvents } from '#local/stack.ts';
import { hasAll, tempStateDir } from './helpers.ts';
import { ROOT, type SpawnedStack, spawnStack } from './spawned-stack.ts';

const execFileAsync = promisify(execFile);
const SHORTENED = '… (shortened)';

interface Block {
  readonly kind: 'console' | 'text';
  readonly lines: readonly string[];
  readonly shortened: boolean;
}

/** The ```console and ```text blocks of the README's local walk-through. */
function walkThroughBlocks(): Block[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Run it locally'),
    readme.indexOf('### `npm start` options'),
  );
  return [...section.matchAll(/```(console|text)\n([\s\S]*?)```/g)].map((match) => {
    const lines = (match[2] ?? '').trimEnd().split('\n');
    return {
      kind: match[1] as Block['kind'],
      lines: lines.filter((line) => line !== SHORTENED),
      shortened: lines.includes(SHORTENED),
    };
  });
}

/** What may differ between runs, replaced by a placeholder. */
function normalize(line: string): string {
  return line
    .replace(/arn:aws:[^\s)]+/g, '<arn>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\d{2}:\d{2}:\d{2}(\.\d{3})?/g, '<time>')
    .replace(/\b\d+ ms\b/g, '<n> ms')
    .replace(/\b[0-9a-f]{8,32}\b/g, '<hex>')
    .replace(/#\d+/g, '#<n>')
    .replace(/:\d{2,5}\b/g, ':<port>')
    .replace(/state=[^)]+\)/g, 'state=<dir>)');
}

/** Splits a `$ command` line as the shell would (double quotes only, as the README uses). */
const shellWords = (command: string): string[] =>
  [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');

let stack: SpawnedStack;
const stateDir = tempStateDir();
const outputs = new Map<string, string[]>();

async function workspaces(args: readonly string[]): Promise<string[]> {
  const env = { ...process.env, WORKSPACES_ENDPOINT: stack.url };
  if (args[0] === 'events' && args.includes('--follow')) {
    // Follow until the walk-through's last event is printed, then stop it as a person would.
    const child = spawn(process.execPath, [join(ROOT, 'bin/workspaces.js'), ...args], { cwd: ROOT, env });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    while (!output.includes(DETAIL_TYPES.running)) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    return output.trimEnd().split('\n');
  }
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [join(ROOT, 'bin/workspaces.js'), ...args],
      {
        cwd: ROOT,
        env,
      },
    );
    return `${stdout}${stderr}`.trimEnd().split('\n');
  } catch (error) {
    const failed = error as { stdout: string; stderr: string };
    return `${failed.stdout}${failed.stderr}`.trimEnd().split('\n');
  }
}

beforeAll(async () => {
  stack = await spawnStack(['--port', '0', '--state-dir', stateDir]);
  for (const block of walkThroughBlocks().filter((candidate) => candidate.kind === 'console')) {
    for (const line of block.lines.filter((candidate) => candidate.startsWith('$ npx workspaces '))) {
      const args = shellWords(line.slice('$ npx workspaces '.length));
      if (args[0] === 'events' || args[0] === 'status') {
        await waitForEvents(
          stack.url,
          hasAll('ws-demo', DETAIL_TYPES.running, DETAIL_TYPES.configOverlayApplied),
        );
      }
      outputs.set(line, await workspaces(args));
    }
  }
  outputs.set('$ npm start', [stack.readyLine]);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Each console block as (command, the README's output lines). */
const commandsOf = (block: Block): Array<[string, string[]]> => {
  const commands: Array<[string, string[]]> = [];
  for (const line of block.lines) {
    if (line.startsWith('$ ')) commands.push([line, []]);
    else commands.at(-1)?.[1].push(line);
  }
  // A blank line only separates one command from the next.
  return commands.map(([command, shown]) => [
    command,
    shown.join('\n').trimEnd().split('\n').filter(Boolean),
  ]);
};

const expectShape = (shown: readonly string[], real: readonly string[], shortened: boolean, what: string) => {
  const realShapes = real.map(normalize);
  for (const line of shown)
    expect(realShapes, `${what}: "${line}" is not what comes out`).toContain(normalize(line));
  // Sorted: the order of lines from concurrent steps (an ECS state change and an overlay event) is
  // timing, not shape.
  if (!shortened)
    expect(shown.map(normalize).sort(), `${what} shows all of its output`).toEqual(realShapes.sort());
};

describe('the README walk-through', () => {
  it('shows what `npm start` and `npx workspaces` print', () => {
    let checked = 0;
    for (const block of walkThroughBlocks().filter((candidate) => candidate.kind === 'console')) {
      for (const [command, shown] of commandsOf(block)) {
        const real = outputs.get(command);
        if (real === undefined) continue; // npm ci and the aws samples are not run (see the top)
        expectShape(shown, real, block.shortened, command);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it("shows the stack's log lines as they come out", () => {
    const logs = walkThroughBlocks().filter((block) => block.kind === 'text');
    expect(logs).toHaveLength(1);
    const [log] = logs as [Block];
    expectShape(log.lines, stack.output().split('\n'), log.shortened, 'the log block');
  });

  it('names the install command of its set-up block and no bin path that npm does not create', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const install = /```sh\n(npm \S+)/.exec(readme)?.[1];
    expect(install).toBeDefined();
    const npmCommands = walkThroughBlocks()
      .flatMap((block) => block.lines)
      .filter((line) => line.startsWith('$ npm ') && line !== '$ npm start');
    expect(npmCommands).toEqual([`$ ${install}`]);
    for (const [path] of readme.matchAll(/node_modules\/\.bin\/[\w.-]+/g)) {
      expect(existsSync(join(ROOT, path)), `${path} exists`).toBe(true);
    }
  });

  it('runs the CLI as `npx workspaces` from the repository', async () => {
    const { stdout } = await execFileAsync('npx', ['--no-install', 'workspaces', '--help'], { cwd: ROOT });
    expect(stdout.startsWith('workspaces: publish workspace requests')).toBe(true);
  });

  it('documents every query parameter and answer field of /local/events in docs/CONTRACT.md', async () => {
    const contract = readFileSync(join(ROOT, 'docs/CONTRACT.md'), 'utf8');
    const row = contract.split('\n').find((line) => line.startsWith('| event log |')) ?? '';
    const server = readFileSync(join(ROOT, 'local/wire/server.ts'), 'utf8');
    const handler = server.slice(server.indexOf('function handleEvents('));
    const parameters = [...handler.matchAll(/searchParams\.get\('([\w-]+)'\)/g)].map((match) => match[1]);
    expect(parameters.length).toBeGreaterThan(0);
    for (const parameter of parameters) expect(row, `?${parameter}=`).toContain(`?${parameter}=`);
    const answer = (await (await fetch(new URL('/local/events?limit=1', stack.url))).json()) as object;
    for (const field of Object.keys(answer)) expect(row, field).toContain(`"${field}"`);
  });
});
