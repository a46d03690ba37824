import { parseArgs } from 'node:util';
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DEFAULT_CLUSTER_NAME } from '#contracts/names.ts';
import { EventLogReadError, readEventPage } from '#local/clients.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { safeText } from '#local/wire/safe-text.ts';
import { stageAssets } from './assets.ts';
import { listDeadLetters, redriveDeadLetters } from './dead-letters.ts';
import { CliError, StackUnreachableError, UsageError } from './errors.ts';
import { formatEventLine, workspaceOf } from './format.ts';
import { deprovisionEntry, provisionEntry, type RequestEntry, restartEntry } from './requests.ts';
import { listSecrets, secretsFailure, setSecrets } from './secrets.ts';
import { deriveWorkspaceStatus, formatWorkspaceStatus, type TaskFacts } from './status.ts';
import {
  type CliEnvironment,
  DEFAULT_ENDPOINT,
  ecsClientFor,
  eventBridgeClientFor,
  lambdaClientFor,
  s3ClientFor,
  sqsClientFor,
  type Target,
  targetFrom,
} from './target.ts';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Ends `events --follow`. */
  readonly signal?: AbortSignal;
  /** The environment (`WORKSPACES_ENDPOINT`, `AWS_ENDPOINT_URL`). @default none: tests stay hermetic */
  readonly env?: CliEnvironment;
}

const consoleIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

const TARGET_OPTIONS = {
  endpoint: { type: 'string' },
  aws: { type: 'boolean' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ENVELOPE_OPTIONS = {
  'request-id': { type: 'string' },
  source: { type: 'string' },
  bus: { type: 'string' },
} as const;

const SECRETS_FILE_OPTIONS = {
  org: { type: 'string' },
  'org-id': { type: 'string' },
  workspace: { type: 'string' },
  'workspace-id': { type: 'string' },
  bucket: { type: 'string' },
} as const;

/** The flags of each command, for node:util parseArgs (strict: an unknown flag is an error). */
export const COMMAND_OPTIONS = {
  provision: {
    ...TARGET_OPTIONS,
    ...ENVELOPE_OPTIONS,
    'workspace-id': { type: 'string' },
    'org-id': { type: 'string' },
    runtime: { type: 'string' },
    kind: { type: 'string' },
    tier: { type: 'string' },
    template: { type: 'string' },
    env: { type: 'string', multiple: true },
    secrets: { type: 'string' },
    persistent: { type: 'boolean' },
    'size-gib': { type: 'string' },
  },
  deprovision: {
    ...TARGET_OPTIONS,
    ...ENVELOPE_OPTIONS,
    'workspace-id': { type: 'string' },
    reason: { type: 'string' },
    erase: { type: 'boolean' },
  },
  restart: {
    ...TARGET_OPTIONS,
    ...ENVELOPE_OPTIONS,
    'workspace-id': { type: 'string' },
    reason: { type: 'string' },
  },
  events: {
    ...TARGET_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    'detail-type': { type: 'string' },
    'workspace-id': { type: 'string' },
  },
  status: { ...TARGET_OPTIONS, 'workspace-id': { type: 'string' }, cluster: { type: 'string' } },
  'dead-letters list': { ...TARGET_OPTIONS, queue: { type: 'string' } },
  'dead-letters redrive': { ...TARGET_OPTIONS, queue: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  'secrets set': {
    ...TARGET_OPTIONS,
    ...SECRETS_FILE_OPTIONS,
    scope: { type: 'string' },
    'from-file': { type: 'string' },
    replace: { type: 'boolean' },
  },
  'secrets list': { ...TARGET_OPTIONS, ...SECRETS_FILE_OPTIONS },
  'assets stage': {
    ...TARGET_OPTIONS,
    request: { type: 'string' },
    from: { type: 'string' },
    template: { type: 'string' },
    source: { type: 'string' },
    bus: { type: 'string' },
  },
} as const;
export type CommandName = keyof typeof COMMAND_OPTIONS;

const TARGET_HELP = `  --endpoint URL        the stack to talk to; else WORKSPACES_ENDPOINT, else AWS_ENDPOINT_URL,
                        else ${DEFAULT_ENDPOINT} (the local stack)
  --aws                 talk to AWS itself, with the usual credential and region chain
  --region REGION       region (default us-east-1 locally; the AWS chain's with --aws)`;

export const USAGE = `workspaces: publish workspace requests and watch what the provisioner does

Usage:
  workspaces provision --workspace-id ID --org-id ID --runtime NAME [--kind workspace|platform]
                       [--tier 1-4] [--template NAME] [--env NAME=VALUE ...] [--secrets SCOPE,...]
                       [--persistent [--size-gib N]] [--request-id ID]
                       [--source SOURCE] [--bus NAME] [--endpoint URL | --aws] [--region REGION]
  workspaces deprovision --workspace-id ID [--reason TEXT] [--erase] [--request-id ID] [--source SOURCE]
                       [--bus NAME] [--endpoint URL | --aws] [--region REGION]
  workspaces restart <workspaceId> [--reason TEXT] [--request-id ID] [--source SOURCE] [--bus NAME]
                       [--endpoint URL | --aws] [--region REGION]
  workspaces events [--follow] [--detail-type TYPE] [--workspace-id ID] [--endpoint URL]
  workspaces status --workspace-id ID [--cluster NAME] [--endpoint URL | --aws] [--region REGION]
  workspaces dead-letters list [--queue Q] [--endpoint URL | --aws] [--region REGION]
  workspaces dead-letters redrive [--queue Q] [--dry-run] [--endpoint URL | --aws] [--region REGION]
  workspaces secrets set --org ID (--scope org|platform | --workspace ID) (NAME=VALUE ... | --from-file FILE)
                       [--replace] [--bucket NAME] [--endpoint URL | --aws] [--region REGION]
  workspaces secrets list --org ID [--workspace ID] [--bucket NAME] [--endpoint URL | --aws] [--region REGION]
  workspaces assets stage --request ID [--from DIR | --template NAME] [--source SOURCE] [--bus NAME]
                       [--endpoint URL]

Requests are validated against the contract before they are sent; a bad flag exits with code 2.
--request-id defaults to a fresh cli-<uuid>; --source to platform.workspace-server; --bus to workspaces.
restart publishes Workspace Restart Requested: the provisioner replaces the workspace's task with a new
one of the same request (Task Launched and Workspace Running follow; an unknown or
deprovisioned workspace gets Workspace Restart Failed).
dead-letters redrive sends each dead letter back to its function (Lambda Invoke, InvocationType Event)
and deletes it; --dry-run shows what would be sent. --queue takes a queue's name or its short form
(deprovision, ProvisionRequested-target, ...); the default is every queue.
--secrets lists the scopes whose env files the workspace gets (org, workspace; platform for the
concierge only), set beforehand with secrets set; a secret never goes in --env.
secrets set writes a secrets env file at the key the provisioner reads for the scope (org, platform:
the concierge's, or a workspace's own), adding or replacing the given variables (--replace: only
them); prefer --from-file FILE (NAME=VALUE lines) to keep values out of your shell history. secrets
list prints each file's variable names. Values are never printed. --bucket defaults to workspace-files
(the local stack's; on AWS, the stack's WorkspaceFilesBucketName output).
assets stage answers a request's Workspace Template Assets Requested by hand, as upstream's channel
would (start the stack with --no-asset-channel to test your own): it uploads every file under --from
DIR (default config/templates/<the request's template, or --template>) to the request's destination
and publishes Workspace Template Assets Staged.

Common flags:
${TARGET_HELP}`;

/** Parses a command's flags; unknown flags and stray arguments are usage errors. */
export function parseCommand<C extends CommandName>(command: C, args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: COMMAND_OPTIONS[command],
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(`${command}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Parses a command's flags and its arguments (`secrets set`'s `NAME=VALUE`s, `restart`'s workspace id). */
export function parseCommandWithArguments<C extends CommandName>(command: C, args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: COMMAND_OPTIONS[command],
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(`${command}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

async function putRequest(target: Target, entry: RequestEntry, io: CliIo): Promise<string> {
  const client = eventBridgeClientFor(target);
  try {
    const response = await client.send(new PutEventsCommand({ Entries: [entry] }));
    const result = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
      throw new CliError(
        `PutEvents refused the entry: ${result?.ErrorCode ?? 'unknown'}: ${result?.ErrorMessage ?? ''}`,
      );
    }
    io.stdout(`sent ${entry.DetailType} to bus ${entry.EventBusName}: event ${result.EventId}`);
    return result.EventId;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const where = target.kind === 'local' ? target.endpoint : 'AWS';
    throw new CliError(
      `could not publish to ${where}: ${error instanceof Error ? error.message : String(error)}` +
        (target.kind === 'local' ? ' (is `npm start` running?)' : ''),
      1,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

function localOnly(target: Target, command: string): Extract<Target, { kind: 'local' }> {
  if (target.kind !== 'local') {
    throw new UsageError(`${command} reads the local stack's event log; use --endpoint, not --aws`);
  }
  return target;
}

/** One page of the local event log after `after` (a seq); `lastSeq` is where the next page starts. */
async function fetchEvents(
  endpoint: string,
  filter: { detailType?: string | undefined; after?: number } = {},
): Promise<{ events: EventEnvelope[]; lastSeq: number }> {
  try {
    return await readEventPage(endpoint, {
      detailType: filter.detailType,
      ...(filter.after ? { after: filter.after } : {}),
    });
  } catch (error) {
    if (!(error instanceof EventLogReadError)) throw error;
    if (error.status !== undefined && error.status < 500) {
      throw new CliError(`GET ${error.url} answered ${error.status}`);
    }
    const why = error.status === undefined ? error.message : `GET ${error.url} answered ${error.status}`;
    throw new StackUnreachableError(`${why} (is \`npm start\` running?)`, { cause: error.cause ?? error });
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** How often `events --follow` asks for new events, and asks again for a stack it lost. */
const FOLLOW_POLL_MS = 500;

/**
 * Prints the event log; with `--follow`, keeps printing new events until the signal ends it. A
 * follow outlives a restart of the stack (or a moment it cannot be reached): it says so once on
 * stderr, asks again until the stack answers, and carries on after the last event it read (the log's
 * `seq` survives a restart on the same state directory), so no event is printed twice or skipped.
 */
async function eventsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommand('events', args);
  if (values.help) return help(io);
  const { endpoint } = localOnly(targetFrom(values, io.env), 'events');
  const workspaceId = values['workspace-id'];
  const signal = io.signal;
  let after = 0;
  let lost = false;
  for (;;) {
    let page: { events: EventEnvelope[]; lastSeq: number };
    try {
      page = await fetchEvents(endpoint, { detailType: values['detail-type'], after });
    } catch (error) {
      if (!values.follow || !(error instanceof StackUnreachableError)) throw error;
      if (!lost) {
        io.stderr(
          `workspaces: lost the stack at ${endpoint}: ${safeText(error.message)}; trying again, and carrying on after event #${after}`,
        );
        lost = true;
      }
      await sleep(FOLLOW_POLL_MS, signal);
      if (signal?.aborted) return 0;
      continue;
    }
    if (lost) {
      io.stderr(`workspaces: the stack at ${endpoint} answers again; carrying on after event #${after}`);
      lost = false;
    }
    for (const envelope of page.events) {
      if (workspaceId === undefined || workspaceOf(envelope) === workspaceId)
        io.stdout(formatEventLine(envelope));
    }
    after = page.lastSeq;
    if (!values.follow || signal?.aborted) return 0;
    // A page with events may have more behind it; an empty one means the log is read to its end.
    if (page.events.length === 0) await sleep(FOLLOW_POLL_MS, signal);
    if (signal?.aborted) return 0;
  }
}

async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommand('status', args);
  if (values.help) return help(io);
  const workspaceId = values['workspace-id'];
  if (!workspaceId) throw new UsageError('status needs --workspace-id');
  const target = targetFrom(values, io.env);
  const events = target.kind === 'local' ? (await fetchEvents(target.endpoint)).events : [];
  const ecs = ecsClientFor(target);
  const cluster = values.cluster ?? DEFAULT_CLUSTER_NAME;
  let tasks: TaskFacts[] = [];
  try {
    const arns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      const listed = await ecs.send(new ListTasksCommand({ cluster, startedBy: workspaceId, desiredStatus }));
      arns.push(...(listed.taskArns ?? []));
    }
    if (arns.length > 0) {
      const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) }));
      tasks = (described.tasks ?? []).map((task) => ({
        taskArn: task.taskArn ?? '',
        ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
        ...(task.desiredStatus ? { desiredStatus: task.desiredStatus } : {}),
        ...(task.containers?.[0]?.image ? { image: task.containers[0].image } : {}),
      }));
    }
  } catch (error) {
    io.stderr(
      `note: could not ask ECS about the task: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    ecs.destroy();
  }
  const status = deriveWorkspaceStatus(workspaceId, events, tasks);
  io.stdout(formatWorkspaceStatus(status));
  return status.state === 'unknown' ? 1 : 0;
}

async function deadLettersCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') return help(io);
  if (action !== 'list' && action !== 'redrive') {
    throw new UsageError(`dead-letters: unknown action "${action}"; the actions are list and redrive`);
  }
  const values = parseCommand(`dead-letters ${action}`, rest);
  if (values.help) return help(io);
  const target = targetFrom(values, io.env);
  const clients = { sqs: sqsClientFor(target), lambda: lambdaClientFor(target) };
  try {
    if (action === 'list') return await listDeadLetters(clients, io, { queue: values.queue });
    return await redriveDeadLetters(clients, io, {
      queue: values.queue,
      dryRun: (values as { 'dry-run'?: boolean })['dry-run'] === true,
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const where = target.kind === 'local' ? target.endpoint : 'AWS';
    throw new CliError(
      `dead-letters ${action} against ${where} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` +
        (target.kind === 'local' ? ' (is `npm start` running?)' : ''),
      1,
      { cause: error },
    );
  } finally {
    clients.sqs.destroy();
    clients.lambda.destroy();
  }
}

async function secretsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') return help(io);
  if (action !== 'set' && action !== 'list') {
    throw new UsageError(`secrets: unknown action "${action}"; the actions are set and list`);
  }
  const { values, positionals } =
    action === 'set'
      ? parseCommandWithArguments('secrets set', rest)
      : { values: parseCommand('secrets list', rest), positionals: [] };
  if (values.help) return help(io);
  const target = targetFrom(values, io.env);
  const s3 = s3ClientFor(target);
  try {
    if (action === 'set') return await setSecrets(s3, io, values, positionals);
    return await listSecrets(s3, io, values);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw secretsFailure(
      action,
      target.kind === 'local' ? target.endpoint : 'AWS',
      target.kind === 'local',
      error,
    );
  } finally {
    s3.destroy();
  }
}

async function assetsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') return help(io);
  if (action !== 'stage') throw new UsageError(`assets: unknown action "${action}"; the action is stage`);
  const values = parseCommand('assets stage', rest);
  if (values.help) return help(io);
  const target = localOnly(targetFrom(values, io.env), 'assets stage');
  const { endpoint } = target;
  const clients = { endpoint, s3: s3ClientFor(target), events: eventBridgeClientFor(target) };
  try {
    return await stageAssets(clients, io, values);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `assets stage against ${endpoint} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} (is \`npm start\` running?)`,
      1,
      { cause: error },
    );
  } finally {
    clients.s3.destroy();
    clients.events.destroy();
  }
}

function help(io: CliIo): number {
  io.stdout(USAGE);
  return 0;
}

/**
 * Runs the CLI and resolves with the exit code: 0 done, 1 failed, 2 bad usage (nothing was sent).
 *
 * @example await runCli(['provision', '--workspace-id', 'ws-1', '--org-id', 'org-1', '--runtime', 'claude-code', '--kind', 'platform'])
 */
export async function runCli(argv: readonly string[], io: CliIo = consoleIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'provision': {
        const values = parseCommand('provision', args);
        if (values.help) return help(io);
        const target = targetFrom(values, io.env);
        const { entry, detail } = provisionEntry(values);
        await putRequest(target, entry, io);
        io.stdout(`requestId ${detail.requestId}  workspace ${detail.workspaceId}  kind ${detail.kind}`);
        return 0;
      }
      case 'deprovision': {
        const values = parseCommand('deprovision', args);
        if (values.help) return help(io);
        const target = targetFrom(values, io.env);
        const { entry, detail } = deprovisionEntry(values);
        await putRequest(target, entry, io);
        io.stdout(`requestId ${detail.requestId}  workspace ${detail.workspaceId}`);
        return 0;
      }
      case 'restart': {
        const { values, positionals } = parseCommandWithArguments('restart', args);
        if (values.help) return help(io);
        const target = targetFrom(values, io.env);
        const { entry, detail } = restartEntry(values, positionals);
        await putRequest(target, entry, io);
        io.stdout(`requestId ${detail.requestId}  workspace ${detail.workspaceId}`);
        return 0;
      }
      case 'events':
        return await eventsCommand(args, io);
      case 'status':
        return await statusCommand(args, io);
      case 'dead-letters':
        return await deadLettersCommand(args, io);
      case 'secrets':
        return await secretsCommand(args, io);
      case 'assets':
        return await assetsCommand(args, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return help(io);
      default:
        throw new UsageError(
          `unknown command "${command}"; the commands are provision, deprovision, restart, events, status, dead-letters, secrets and assets`,
        );
    }
  } catch (error) {
    if (error instanceof CliError) {
      // The first line is the CLI's; any further lines are its own list (each escaped where built).
      const [first = '', ...rest] = error.message.split('\n');
      io.stderr(`workspaces: ${safeText(first)}`);
      for (const line of rest) io.stderr(line);
      if (error instanceof UsageError) io.stderr('Run `workspaces --help` for the flags.');
      return error.exitCode;
    }
    throw error;
  }
}
