import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_REQUEST_SOURCE,
  DEFAULT_WORKSPACE_FILES_BUCKET,
  DETAIL_TYPES,
} from '#contracts/names.ts';
import { s3Uri, secretsKey, stagedPrefix } from '#core/workspace-files.ts';
import { runCli } from '#local/cli/main.ts';
import { LOCAL_ACCOUNT, localClientConfig } from '#local/clients.ts';
import { waitForEvents } from '#local/stack.ts';
import { about, startTestStack, type TestStack, uniqueId } from './helpers.ts';

/** `workspaces secrets` and `workspaces assets stage` against a real stack, read back with client-s3. */

let local: TestStack;
let s3: S3Client;

beforeAll(async () => {
  // No stand-in channel: `assets stage` is how an upstream team answers by hand.
  local = await startTestStack({ assetChannel: false });
  s3 = new S3Client({ ...localClientConfig(local.stack.url, local.stack.region), forcePathStyle: true });
});
afterAll(async () => {
  s3?.destroy();
  await local?.stop();
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--endpoint', local.stack.url], {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function objectText(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: DEFAULT_WORKSPACE_FILES_BUCKET, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

describe('workspaces secrets', () => {
  it('writes the scope files at the provisioner keys, merges later sets, and never prints a value', async () => {
    const org = uniqueId('org');
    const values = ['sk-org-value-1', 'sk-org-value-2', 'sk-platform-value', 'sk-ws-value'];
    const envFile = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'platform.env');
    writeFileSync(envFile, `# the concierge's\nMOLECULE_ORG_ADMIN_TOKEN=${values[2]}\n`);

    const runs = [
      await cli('secrets', 'set', '--org', org, '--scope', 'org', `ANTHROPIC_API_KEY=${values[0]}`),
      await cli('secrets', 'set', '--org', org, '--scope', 'org', `GIT_TOKEN=${values[1]}`),
      await cli('secrets', 'set', '--org', org, '--scope', 'platform', '--from-file', envFile),
      await cli('secrets', 'set', '--org', org, '--workspace', 'ws-1', `GIT_TOKEN=${values[3]}`),
    ];
    for (const run of runs) expect(run, run.err).toMatchObject({ code: 0, err: '' });
    expect(runs[1]?.out).toContain(`set GIT_TOKEN in scope org of org ${org}`);
    expect(runs[1]?.out).toContain(
      `${s3Uri(DEFAULT_WORKSPACE_FILES_BUCKET, secretsKey('org', org, ''))} now sets 2 variable(s)`,
    );

    expect(await objectText(secretsKey('org', org, ''))).toMatch(
      new RegExp(`^ANTHROPIC_API_KEY=${values[0]}\nGIT_TOKEN=${values[1]}\n$`, 'm'),
    );
    expect(await objectText(secretsKey('platform', org, ''))).toContain(
      `MOLECULE_ORG_ADMIN_TOKEN=${values[2]}\n`,
    );
    expect(await objectText(secretsKey('workspace', org, 'ws-1'))).toContain(`GIT_TOKEN=${values[3]}\n`);

    const listed = await cli('secrets', 'list', '--org', org);
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n').slice(1)).toEqual([
      'org         ANTHROPIC_API_KEY, GIT_TOKEN',
      'platform    MOLECULE_ORG_ADMIN_TOKEN',
      'workspace ws-1  GIT_TOKEN',
    ]);
    const one = await cli('secrets', 'list', '--org', org, '--workspace', 'ws-2');
    expect(one.out).toContain('workspace ws-2  (no file)');

    const printed = [...runs, listed, one].map((run) => `${run.out}\n${run.err}`).join('\n');
    for (const value of values) expect(printed).not.toContain(value);
  });

  it('with --replace, the file holds exactly the given variables', async () => {
    const org = uniqueId('org');
    await cli('secrets', 'set', '--org', org, '--scope', 'org', 'OLD_TOKEN=x');
    const run = await cli('secrets', 'set', '--org', org, '--scope', 'org', '--replace', 'NEW_TOKEN=y');
    expect(run.code).toBe(0);
    const text = await objectText(secretsKey('org', org, ''));
    expect(text).toContain('NEW_TOKEN=y');
    expect(text).not.toContain('OLD_TOKEN');
  });
});

describe('workspaces assets stage', () => {
  /** A Template Assets Requested event, accepted as the provisioner's functions publish it. */
  function requestAssets() {
    const workspaceId = uniqueId('stage');
    const requestId = `req-${workspaceId}`;
    const prefix = stagedPrefix('org-1', workspaceId, requestId);
    local.stack.bus.accept(DEFAULT_EVENT_BUS_NAME, [
      {
        version: '0',
        id: randomUUID(),
        'detail-type': DETAIL_TYPES.templateAssetsRequested,
        source: DEFAULT_PROVISIONER_SOURCE,
        account: LOCAL_ACCOUNT,
        time: new Date().toISOString(),
        region: local.stack.region,
        resources: [],
        detail: {
          requestId,
          workspaceId,
          orgId: 'org-1',
          kind: 'platform',
          template: 'platform-agent',
          paths: ['config.yaml', 'prompts/concierge.md'],
          destination: s3Uri(DEFAULT_WORKSPACE_FILES_BUCKET, prefix),
        },
      },
    ]);
    return { workspaceId, requestId, prefix };
  }

  const keysUnder = async (prefix: string) =>
    (
      (await s3.send(new ListObjectsV2Command({ Bucket: DEFAULT_WORKSPACE_FILES_BUCKET, Prefix: prefix })))
        .Contents ?? []
    )
      .map((object) => object.Key)
      .sort();

  it("stages the request's template to its destination and publishes Staged", async () => {
    const { workspaceId, requestId, prefix } = requestAssets();
    const run = await cli('assets', 'stage', '--request', requestId);
    expect(run, run.err).toMatchObject({ code: 0 });
    expect(run.out).toContain(
      `staged 2 file(s) for request ${requestId} under s3://${DEFAULT_WORKSPACE_FILES_BUCKET}/${prefix}`,
    );
    expect(await keysUnder(prefix)).toEqual([`${prefix}config.yaml`, `${prefix}prompts/concierge.md`]);
    const events = await waitForEvents(
      local.stack.url,
      (log) => about(log, DETAIL_TYPES.templateAssetsStaged, workspaceId).length > 0,
    );
    const [staged] = about(events, DETAIL_TYPES.templateAssetsStaged, workspaceId);
    expect(staged).toMatchObject({ source: DEFAULT_REQUEST_SOURCE, detail: { requestId, workspaceId } });
  });

  it('stages the files of --from DIR instead, relative paths kept', async () => {
    const { requestId, prefix } = requestAssets();
    const dir = mkdtempSync(join(tmpdir(), 'assets-'));
    mkdirSync(join(dir, 'notes'));
    writeFileSync(join(dir, 'config.yaml'), 'name: by-hand\n');
    writeFileSync(join(dir, 'notes', 'a.md'), '# a\n');
    const run = await cli('assets', 'stage', '--request', requestId, '--from', dir);
    expect(run.code).toBe(0);
    expect(await keysUnder(prefix)).toEqual([`${prefix}config.yaml`, `${prefix}notes/a.md`]);
    expect(await objectText(`${prefix}config.yaml`)).toBe('name: by-hand\n');
  });

  it('exits 1 for a request with no Template Assets Requested, and stages nothing', async () => {
    const run = await cli('assets', 'stage', '--request', `no-such-${randomUUID()}`);
    expect(run.code).toBe(1);
    expect(run.err).toContain('no Workspace Template Assets Requested for request no-such-');
  });

  it('exits 1 for an unknown --template', async () => {
    const { requestId, prefix } = requestAssets();
    const run = await cli('assets', 'stage', '--request', requestId, '--template', 'nope');
    expect(run.code).toBe(1);
    expect(run.err).toContain('no template "nope"');
    expect(await keysUnder(prefix)).toEqual([]);
  });
});
