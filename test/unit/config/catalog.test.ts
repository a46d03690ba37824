import { describe, expect, it } from 'vitest';
import { loadCatalog, parseTierSizing } from '#config/catalog.ts';
import { ConfigError } from '#config/errors.ts';
import { isValidFargateSize } from '#config/fargate.ts';
import rawCatalog from '#config/runtimes.json' with { type: 'json' };
import { RUNTIME_NAMES } from '#contracts/fields.ts';

describe('runtime catalog', () => {
  it('holds the four runtimes, each with its plain per-runtime image and family', () => {
    const catalog = loadCatalog();
    expect(Object.keys(catalog.runtimes)).toEqual(['claude-code', 'codex', 'hermes', 'openclaw']);
    for (const runtime of Object.values(catalog.runtimes)) {
      expect(runtime.image).toBe(`ghcr.io/molecule-ai/workspace-template-${runtime.name}:latest`);
      expect(runtime.family).toBe(`workspace-${runtime.name}`);
      expect(runtime.containerPort).toBe(8000);
    }
  });

  it('gives hermes 30 minutes to provision and the others the 10-minute default', () => {
    const catalog = loadCatalog();
    expect(catalog.runtimes.hermes?.provisionTimeoutSeconds).toBe(1800);
    for (const name of ['claude-code', 'codex', 'openclaw']) {
      expect(catalog.runtimes[name]?.provisionTimeoutSeconds).toBe(600);
    }
  });

  it('is the source of the contract runtime enum', () => {
    expect(Object.keys(loadCatalog().runtimes)).toEqual([...RUNTIME_NAMES]);
  });

  it.each([
    ['1', 256, 512],
    ['2', 512, 1024],
    ['3', 1024, 2048],
    ['4', 2048, 4096],
  ] as const)('sizes tier %s as %i cpu and %i MiB', (tier, cpu, memory) => {
    expect(loadCatalog().tiers[tier]).toEqual({ cpu, memory });
  });

  it('takes registry, tag, tier sizing and local commands as overrides', () => {
    const catalog = loadCatalog({
      registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com/platform',
      tag: 'v1.2.3',
      tiers: { 4: { cpu: 4096, memory: 8192 } },
      localCommands: { codex: ['node', 'codex.js'] },
    });
    expect(catalog.runtimes.codex?.image).toBe(
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/platform/workspace-template-codex:v1.2.3',
    );
    expect(catalog.tiers['4']).toEqual({ cpu: 4096, memory: 8192 });
    expect(catalog.tiers['1']).toEqual({ cpu: 256, memory: 512 });
    expect(catalog.runtimes.codex?.localCommand).toEqual(['node', 'codex.js']);
  });

  it.each([
    ['an upper-case registry', { registry: 'GHCR.io/x' }, /registry/],
    ['a tag with a slash', { tag: 'a/b' }, /tag/],
    [
      'a cpu/memory pair Fargate refuses',
      { tiers: { 2: { cpu: 512, memory: 512 } } },
      /tier 2: cpu 512 with memory 512/,
    ],
    [
      'a local command for an unknown runtime',
      { localCommands: { cobol: ['x'] } },
      /unknown runtime "cobol"/,
    ],
  ])('refuses %s with a clear error', (_name, overrides, message) => {
    expect(() => loadCatalog(overrides as never)).toThrow(ConfigError);
    expect(() => loadCatalog(overrides as never)).toThrow(message);
  });

  it.each([
    ['a missing registry', { ...rawCatalog, registry: undefined }, /registry/],
    ['an unknown field', { ...rawCatalog, regsitry: 'x' }, /regsitry/],
    ['an empty runtime list', { ...rawCatalog, runtimes: {} }, /at least one runtime/],
    [
      'a provision timeout under a minute',
      { ...rawCatalog, runtimes: { codex: { provisionTimeoutSeconds: 5 } } },
      /provisionTimeoutSeconds/,
    ],
    ['a missing tier', { ...rawCatalog, tiers: { 1: rawCatalog.tiers['1'] } }, /tiers/],
  ])('refuses a catalog file with %s, naming the field', (_name, file, message) => {
    expect(() => loadCatalog({}, file)).toThrow(message);
  });

  it('parses tier sizing text and refuses malformed text', () => {
    expect(parseTierSizing('1=256/1024, 4=4096/8192')).toEqual({
      1: { cpu: 256, memory: 1024 },
      4: { cpu: 4096, memory: 8192 },
    });
    expect(() => parseTierSizing('5=1/2')).toThrow(/<tier>=<cpu>\/<memory>/);
    expect(() => parseTierSizing('2=512')).toThrow(ConfigError);
  });

  it.each([
    [256, 512, true],
    [256, 1024, true],
    [256, 2048, true],
    [256, 4096, false],
    [512, 4096, true],
    [1024, 1024, false],
    [4096, 30720, true],
    [8192, 20480, true],
    [8192, 18432, false],
    [300, 1024, false],
  ])('knows Fargate accepts cpu %i with memory %i: %s', (cpu, memory, valid) => {
    expect(isValidFargateSize(cpu, memory)).toBe(valid);
  });
});
