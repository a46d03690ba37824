import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { summarizeDetail } from '#local/stack/event-summary.ts';

describe("the log's one-line summaries of the v1.1 fields", () => {
  it.each([
    [
      DETAIL_TYPES.provisionRequested,
      { runtime: 'codex', kind: 'platform', tier: 2, secrets: ['org', 'platform'], requestId: 'r-1' },
      'runtime=codex kind=platform tier=2 secrets=org,platform request=r-1',
    ],
    [
      DETAIL_TYPES.templateAssetsRequested,
      {
        template: 'platform-agent',
        paths: ['config.yaml'],
        destination: 's3://workspace-files/staged/o/w/r/',
      },
      'template=platform-agent paths=config.yaml destination=s3://workspace-files/staged/o/w/r/',
    ],
    [DETAIL_TYPES.templateAssetsStaged, { requestId: 'r-1', workspaceId: 'w' }, 'request=r-1'],
    [
      DETAIL_TYPES.configOverlayApplied,
      {
        kind: 'platform',
        overlay: { plugins: [], config: {} },
        files: [
          { path: 'config.yaml', bytes: 3, sha256: 'x' },
          { path: 'prompts/concierge.md', bytes: 1, sha256: 'y' },
        ],
        secrets: ['org'],
      },
      'kind=platform plugins=0 config={} files=config.yaml,prompts/concierge.md secrets=org',
    ],
    [
      DETAIL_TYPES.running,
      { runtime: 'codex', kind: 'workspace', url: 'http://127.0.0.1:41234' },
      'runtime=codex kind=workspace url=http://127.0.0.1:41234',
    ],
    [
      DETAIL_TYPES.stopped,
      {
        taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc123',
        cause: 'crashed',
        stopCode: 'EssentialContainerExited',
        exitCode: 3,
      },
      'task=abc123 cause=crashed stopCode=EssentialContainerExited exitCode=3',
    ],
  ])('%s', (detailType, detail, summary) => {
    expect(summarizeDetail({ 'detail-type': detailType, detail })).toBe(summary);
  });
});

describe("the log's one-line summaries of the v1.3 persistent-data events", () => {
  it.each([
    [
      DETAIL_TYPES.deprovisionRequested,
      { requestId: 'r-2', workspaceId: 'w', erase: true },
      'request=r-2 erase=true',
    ],
    [
      DETAIL_TYPES.dataSaved,
      {
        workspaceId: 'w',
        snapshotId: 'snap-0123456789abcdef0',
        sizeGiB: 20,
        taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc123',
      },
      'snapshot=snap-0123456789abcdef0 size=20GiB task=abc123',
    ],
    [
      DETAIL_TYPES.dataSaveFailed,
      {
        workspaceId: 'w',
        volumeId: 'vol-0123456789abcdef0',
        snapshotId: 'snap-0123456789abcdef0',
        reason: 'the snapshot failed',
      },
      'volume=vol-0123456789abcdef0 snapshot=snap-0123456789abcdef0 reason="the snapshot failed"',
    ],
    [
      DETAIL_TYPES.dataErased,
      { workspaceId: 'w', snapshotIds: ['snap-1', 'snap-2'], volumeIds: [], requestId: 'r-2' },
      'request=r-2 snapshots=snap-1,snap-2 volumes=none',
    ],
  ])('%s', (detailType, detail, summary) => {
    expect(summarizeDetail({ 'detail-type': detailType, detail })).toBe(summary);
  });
});
