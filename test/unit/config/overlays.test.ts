import { describe, expect, it } from 'vitest';
import { ConfigError } from '#config/errors.ts';
import rawOverlays from '#config/overlays.json' with { type: 'json' };
import { loadOverlays, PLATFORM_MCP_PLUGIN } from '#config/overlays.ts';
import { KINDS } from '#contracts/names.ts';

describe('kind overlays', () => {
  it('declares exactly the contract kinds', () => {
    expect(Object.keys(loadOverlays()).sort()).toEqual([...KINDS].sort());
  });

  it('gives kind=workspace the empty overlay', () => {
    expect(loadOverlays().workspace).toEqual({ plugins: [], config: {} });
  });

  it('gives kind=platform the concierge overlay of CONTRACT.md', () => {
    expect(loadOverlays().platform).toEqual({
      template: 'platform-agent',
      identity: { channel: 'template-assets', paths: ['config.yaml', 'prompts/concierge.md'] },
      plugins: [
        {
          name: 'molecule-ai-plugin-molecule-platform-mcp',
          source: 'gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main',
        },
      ],
      config: { runtime_config: { required_env: [] }, prompt_files: ['prompts/concierge.md'] },
    });
  });

  it('declares the platform MCP plugin for platform only', () => {
    const overlays = loadOverlays();
    for (const kind of KINDS) {
      const declares = overlays[kind].plugins.some((plugin) => plugin.name === PLATFORM_MCP_PLUGIN);
      expect(declares, kind).toBe(kind === 'platform');
    }
  });

  it.each([
    [
      'the platform MCP plugin on workspace',
      { ...rawOverlays, workspace: { plugins: rawOverlays.platform.plugins, config: {} } },
      /platform only/,
    ],
    ['a missing kind', { platform: rawOverlays.platform }, /exactly the kinds/],
    ['an extra kind', { ...rawOverlays, admin: { plugins: [], config: {} } }, /exactly the kinds/],
    [
      'an unknown identity channel',
      { ...rawOverlays, platform: { ...rawOverlays.platform, identity: { channel: 'env', paths: ['a'] } } },
      /identity/,
    ],
    [
      'identity without a template',
      { ...rawOverlays, platform: { ...rawOverlays.platform, template: undefined } },
      /needs a template/,
    ],
    [
      'a plugin without a source',
      { ...rawOverlays, platform: { ...rawOverlays.platform, plugins: [{ name: 'x' }] } },
      /plugins/,
    ],
    ['config that is not an object', { ...rawOverlays, workspace: { plugins: [], config: [] } }, /config/],
  ])('refuses %s', (_name, file, message) => {
    expect(() => loadOverlays(file)).toThrow(ConfigError);
    expect(() => loadOverlays(file)).toThrow(message);
  });
});
