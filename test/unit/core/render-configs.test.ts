import mergePatch from 'json-merge-patch';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOOT_MAX_TOTAL_BYTES, decodeBootBundle, sha256Hex } from '#core/boot-bundle.ts';
import { CONFIG_FILE, type RenderInput, renderConfigs } from '#core/render-configs.ts';

const base = { runtime_config: { model: 'x', required_env: ['A'] }, keep: 1 };
const input = (overrides: Partial<RenderInput>): RenderInput => ({
  requiredPaths: [],
  configPatch: {},
  baseConfig: base,
  ...overrides,
});
const staged = (files: Record<string, string>) =>
  new Map(Object.entries(files).map(([path, text]) => [path, Buffer.from(text)]));

function ready(input: RenderInput) {
  const outcome = renderConfigs(input);
  if (outcome.outcome !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/**
 * RFC 7396 Appendix A's examples (https://www.rfc-editor.org/rfc/rfc7396#appendix-A), restricted to
 * a mapping as the target (config.yaml must be one): [target, patch, result].
 */
const RFC_7396_EXAMPLES: ReadonlyArray<
  [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]
> = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  [{ a: 'foo' }, { a: { b: null, c: 'd' } }, { a: { c: 'd' } }],
];

describe('renderConfigs: the overlay as an RFC 7396 merge patch onto config.yaml', () => {
  it.each(RFC_7396_EXAMPLES)(
    '%j patched with %j gives %j, from the base config and from a staged file',
    (target, patch, result) => {
      expect(ready(input({ baseConfig: target, configPatch: patch })).effectiveConfig).toEqual(result);
      const fromYaml = ready(
        input({ staged: staged({ [CONFIG_FILE]: JSON.stringify(target) }), configPatch: patch }),
      );
      expect(fromYaml.effectiveConfig).toEqual(result);
      // The same as json-merge-patch, the library the v1 overlay used.
      expect(fromYaml.effectiveConfig).toEqual(
        mergePatch.apply(structuredClone(target), structuredClone(patch)),
      );
    },
  );

  it('writes config.yaml as YAML the workspace reads back as the effective config', () => {
    const outcome = ready(input({ configPatch: { runtime_config: { required_env: [] }, extra: true } }));
    const written = outcome.files.find((file) => file.path === CONFIG_FILE);
    expect(parse(written?.content.toString() ?? '')).toEqual(outcome.effectiveConfig);
    expect(outcome.effectiveConfig).toEqual({
      runtime_config: { model: 'x', required_env: [] },
      keep: 1,
      extra: true,
    });
  });

  it('keeps the comments of a staged config.yaml on the keys the patch leaves alone', () => {
    const yaml = [
      '# the concierge',
      'name: concierge # who answers',
      'runtime_config:',
      '  model: a',
      'drop: me',
      '',
    ].join('\n');
    const outcome = ready(
      input({
        staged: staged({ [CONFIG_FILE]: yaml }),
        configPatch: { drop: null, runtime_config: { model: 'b' } },
      }),
    );
    const text = outcome.files.find((file) => file.path === CONFIG_FILE)?.content.toString() ?? '';
    expect(text).toContain('# the concierge');
    expect(text).toContain('# who answers');
    expect(outcome.effectiveConfig).toEqual({ name: 'concierge', runtime_config: { model: 'b' } });
  });

  it('takes the staged config.yaml over the runtime base config', () => {
    expect(ready(input({ staged: staged({ [CONFIG_FILE]: 'own: 1\n' }) })).effectiveConfig).toEqual({
      own: 1,
    });
  });

  it('renders config.yaml from the base config when the staged files have none, and passes the others through', () => {
    const outcome = ready(input({ staged: staged({ 'prompts/a.md': 'hello' }) }));
    expect(outcome.manifest.map((entry) => entry.path)).toEqual([CONFIG_FILE, 'prompts/a.md']);
    expect(outcome.manifest.find((entry) => entry.path === 'prompts/a.md')).toEqual({
      path: 'prompts/a.md',
      bytes: 5,
      sha256: sha256Hex('hello'),
    });
    expect(outcome.effectiveConfig).toEqual(base);
  });

  it('answers a boot bundle that decodes to exactly the files', () => {
    const outcome = ready(input({ staged: staged({ 'a/b.txt': 'x', [CONFIG_FILE]: 'k: v\n' }) }));
    const decoded = decodeBootBundle(outcome.bundle);
    expect(decoded.map((file) => [file.path, file.content.toString()]).sort()).toEqual(
      outcome.files.map((file) => [file.path, file.content.toString()]).sort(),
    );
  });

  it('never changes the base config or the patch it is given', () => {
    const baseConfig = { a: { b: 1 } };
    const configPatch = { a: { b: null } };
    ready(input({ baseConfig, configPatch }));
    expect(baseConfig).toEqual({ a: { b: 1 } });
    expect(configPatch).toEqual({ a: { b: null } });
  });
});

describe('renderConfigs: outcomes other than ready', () => {
  it('lists every required path the staged files lack', () => {
    expect(
      renderConfigs(
        input({
          staged: staged({ [CONFIG_FILE]: 'a: 1' }),
          requiredPaths: [CONFIG_FILE, 'prompts/concierge.md', 'x'],
        }),
      ),
    ).toEqual({ outcome: 'missing', paths: ['prompts/concierge.md', 'x'] });
  });

  it('counts nothing as staged when the request has no template', () => {
    expect(renderConfigs(input({ requiredPaths: [CONFIG_FILE] }))).toEqual({
      outcome: 'missing',
      paths: [CONFIG_FILE],
    });
  });

  it.each([
    ['a scalar config.yaml', { [CONFIG_FILE]: 'just text' }, 'mapping'],
    ['a list config.yaml', { [CONFIG_FILE]: '- a\n- b' }, 'mapping'],
    ['bad YAML', { [CONFIG_FILE]: 'a: [1, 2' }, 'not valid YAML'],
    ['a repeated key', { [CONFIG_FILE]: 'a: 1\na: 2' }, 'not valid YAML'],
    ['a path with ..', { '../etc/passwd': 'x' }, 'must be relative'],
    ['a path with a shell character', { 'a;b': 'x' }, 'must be relative'],
    ['files over the bundle limit', { 'big.bin': 'x'.repeat(BOOT_MAX_TOTAL_BYTES + 1) }, 'at most'],
  ])('refuses %s as invalid', (_name, files, reason) => {
    const outcome = renderConfigs(input({ staged: staged(files) }));
    expect(outcome.outcome).toBe('invalid');
    expect(outcome.outcome === 'invalid' ? outcome.reason : '').toContain(reason);
  });

  it('refuses a config.yaml that expands aliases past the limit (a billion laughs)', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const outcome = renderConfigs(input({ staged: staged({ [CONFIG_FILE]: lines.join('\n') }) }));
    expect(outcome.outcome).toBe('invalid');
  });
});
