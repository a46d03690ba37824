import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { loadOverlays } from '#config/overlays.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { TaskLaunchedDetail } from '#contracts/outbound.ts';
import { DETAIL_SCHEMAS } from '#contracts/registry.ts';
import { overlayForKind, pluginInstallEventsFor, requiredPathsFor, templateFor } from '#core/overlay.ts';

const catalog = loadCatalog();
const overlays = loadOverlays();
const codex = catalog.runtimes.codex;
if (!codex) throw new Error('codex missing from the catalog');

const launched = (kind: 'workspace' | 'platform'): TaskLaunchedDetail => ({
  requestId: 'req-1',
  workspaceId: 'ws-1',
  orgId: 'org-1',
  runtime: 'codex',
  kind,
  tier: 2,
  image: codex.image,
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc',
  clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
  cpu: 512,
  memory: 1024,
});

describe('pluginInstallEventsFor', () => {
  it('gives kind=platform the platform MCP install only: the template and Overlay Applied come from other steps (v1.1)', () => {
    const events = pluginInstallEventsFor(launched('platform'), overlays);
    expect(events.map((event) => event.detailType)).toEqual([DETAIL_TYPES.pluginInstallRequested]);
    expect(events[0]?.detail).toMatchObject({
      kind: 'platform',
      taskArn: launched('platform').taskArn,
      plugin: {
        name: 'molecule-ai-plugin-molecule-platform-mcp',
        source: 'gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main',
      },
    });
  });

  it('gives kind=workspace nothing: its overlay has no plugins', () => {
    expect(pluginInstallEventsFor(launched('workspace'), overlays)).toEqual([]);
  });

  it('emits details that satisfy the published contracts', () => {
    for (const kind of ['workspace', 'platform'] as const) {
      for (const event of pluginInstallEventsFor(launched(kind), overlays)) {
        const schema = DETAIL_SCHEMAS[event.detailType as keyof typeof DETAIL_SCHEMAS];
        expect(schema.safeParse(event.detail).success, event.detailType).toBe(true);
      }
    }
  });
});

describe('templateFor and requiredPathsFor', () => {
  it('platform forces platform-agent over the request and requires its identity paths', () => {
    expect(templateFor('platform', 'other', overlays)).toBe('platform-agent');
    expect(requiredPathsFor('platform', overlays)).toEqual(['config.yaml', 'prompts/concierge.md']);
  });

  it('a workspace takes the request template, or none, and requires nothing', () => {
    expect(templateFor('workspace', 'my-template', overlays)).toBe('my-template');
    expect(templateFor('workspace', undefined, overlays)).toBeUndefined();
    expect(requiredPathsFor('workspace', overlays)).toEqual([]);
  });
});

describe('overlayForKind', () => {
  const withBase = {
    ...codex,
    baseConfig: {
      runtime_config: { required_env: ['OPENAI_API_KEY'], model: 'x' },
      prompt_files: ['a.md'],
      keep: 1,
    },
  };

  it('applies the config as an RFC 7396 merge patch over the runtime base config', () => {
    const { effectiveConfig } = overlayForKind('platform', withBase, overlays);
    expect(effectiveConfig).toEqual({
      runtime_config: { required_env: [], model: 'x' },
      prompt_files: ['prompts/concierge.md'],
      keep: 1,
    });
  });

  it('removes keys the patch sets to null and leaves the base config untouched', () => {
    const custom = {
      ...overlays,
      workspace: { plugins: [], config: { keep: null, runtime_config: { model: null } } },
    };
    const { effectiveConfig } = overlayForKind('workspace', withBase, custom);
    expect(effectiveConfig).toEqual({
      runtime_config: { required_env: ['OPENAI_API_KEY'] },
      prompt_files: ['a.md'],
    });
    expect(withBase.baseConfig.keep).toBe(1);
  });

  it('leaves the base config as it is for the empty overlay', () => {
    expect(overlayForKind('workspace', withBase, overlays).effectiveConfig).toEqual(withBase.baseConfig);
  });
});
