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
