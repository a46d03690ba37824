import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BOOT_CHUNK_CHARS,
  BOOT_MAX_TOTAL_BYTES,
  type BootFile,
  bootPathProblem,
  decodeBootBundle,
  encodeBootBundle,
  manifestOf,
  parseEnvFile,
  sha256Hex,
} from '#core/boot-bundle.ts';
import { BOOT_SCRIPT } from '#wiring/boot-step.ts';

const file = (path: string, content: string | Buffer): BootFile => ({
  path,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the boot script with the bundle as its environment, as ECS does with the env file. */
function runBootScript(bundle: string): { status: number; dir: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'boot-'));
  dirs.push(dir);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', BOOT_CONFIGS_DIR: dir };
  for (const [name, value] of parseEnvFile(bundle)) env[name] = value;
  try {
    execFileSync('sh', ['-c', BOOT_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, dir, stderr: '' };
  } catch (error) {
    const failed = error as { status: number; stderr: Buffer };
    return { status: failed.status, dir, stderr: failed.stderr.toString() };
  }
}

describe('the boot bundle', () => {
  const files = [
    file('config.yaml', 'name: concierge\nruntime_config:\n  required_env: []\n'),
    file('prompts/concierge.md', '# You are the org concierge\n'),
    file('empty.txt', ''),
    // Two chunks and a bit, with every byte value.
    file('blob.bin', Buffer.from(Array.from({ length: BOOT_CHUNK_CHARS * 2 }, (_, i) => i % 256))),
  ];

  it('round-trips files, and the manifest names each with its size and sha256, sorted by path', () => {
    const bundle = encodeBootBundle(files, 'request r-1');
    const decoded = decodeBootBundle(bundle);
    expect(decoded.map((entry) => entry.path)).toEqual([
      'blob.bin',
      'config.yaml',
      'empty.txt',
      'prompts/concierge.md',
    ]);
    for (const original of files) {
      expect(decoded.find((entry) => entry.path === original.path)?.content.equals(original.content)).toBe(
        true,
      );
    }
    expect(manifestOf(files)[1]).toEqual({
      path: 'config.yaml',
      bytes: files[0]?.content.length,
      sha256: sha256Hex(files[0]?.content ?? ''),
    });
  });

  it('keeps every line under the 64 KiB env-file line limit', () => {
    const bundle = encodeBootBundle(files);
    const longest = Math.max(...bundle.split('\n').map((line) => line.length));
    expect(longest).toBeLessThan(64 * 1024);
    expect(longest).toBeGreaterThan(BOOT_CHUNK_CHARS);
  });

  it('the boot script writes exactly those files, byte for byte, and exits 0', () => {
    const run = runBootScript(encodeBootBundle(files));
    expect(run).toMatchObject({ status: 0 });
    for (const original of files) {
      expect(readFileSync(join(run.dir, original.path)).equals(original.content)).toBe(true);
    }
  });

  it('the boot script exits non-zero when a file does not match its sha256', () => {
    const bundle = encodeBootBundle([file('config.yaml', 'a: 1\n')]).replace(
      /BOOT_FILE_0_CHUNK_0=.*/,
      `BOOT_FILE_0_CHUNK_0=${Buffer.from('a: 2\n').toString('base64')}`,
    );
    const run = runBootScript(bundle);
    expect(run.status).toBe(66);
    expect(run.stderr).toContain('config.yaml does not match its sha256');
    expect(() => decodeBootBundle(bundle)).toThrow(/config.yaml does not match its sha256/);
  });

  it.each(['../escape', 'a/../../b', '/etc/passwd', './config.yaml', 'a//b'])(
    'the boot script refuses the path %s, and so does the encoder',
    (path) => {
      const bundle = `BOOT_FILE_COUNT=1\nBOOT_FILE_0_PATH=${path}\nBOOT_FILE_0_SHA256=${sha256Hex('')}\nBOOT_FILE_0_CHUNKS=0\n`;
      const run = runBootScript(bundle);
      expect(run.status).not.toBe(0);
      expect(() => encodeBootBundle([file(path, '')])).toThrow(/must be relative/);
    },
  );

  it.each([
    ['config.yaml', undefined],
    ['prompts/concierge.md', undefined],
    ['a b', 'must be relative'],
    ['$(reboot)', 'must be relative'],
    ['dir/', 'must be relative'],
    ['', 'must be 1 to 256 characters'],
  ])('path %j: %s', (path, problem) => {
    if (problem) expect(bootPathProblem(path)).toContain(problem);
    else expect(bootPathProblem(path)).toBeUndefined();
  });

  it('refuses more bytes than one process environment can carry, and a repeated path', () => {
    expect(() => encodeBootBundle([file('big', Buffer.alloc(BOOT_MAX_TOTAL_BYTES + 1))])).toThrow(
      /at most 524288/,
    );
    expect(() => encodeBootBundle([file('a', 'x'), file('a', 'y')])).toThrow(/appears twice/);
  });
});

describe('env files, read as the container runtime reads them', () => {
  it('takes values as written, skips comments and blank lines, and a later line wins', () => {
    const parsed = parseEnvFile('# a comment\n\nA=1\nB= spaced = value \nA=2\n  C=x\nNOVALUE\n');
    expect(Object.fromEntries(parsed)).toEqual({ A: '2', B: ' spaced = value ', C: 'x' });
  });

  it('a bundle written to disk and read back is the same bundle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    dirs.push(dir);
    const bundle = encodeBootBundle([file('config.yaml', 'x: 1\n')]);
    writeFileSync(join(dir, 'boot.env'), bundle);
    expect(decodeBootBundle(readFileSync(join(dir, 'boot.env'), 'utf8'))[0]?.path).toBe('config.yaml');
  });
});
