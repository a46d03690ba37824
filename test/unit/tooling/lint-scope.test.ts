import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const repo = mkdtempSync(join(tmpdir(), 'lint-scope-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

/** A file Biome refuses: `==`, an unused variable and `var`. */
const BROKEN = 'var unused = 1;\nexport const same = (a: number) => a == 2;\n';
const CLEAN = 'export const same = (a: number): boolean => a === 2;\n';

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
const lint = () => spawnSync(process.execPath, ['scripts/lint.mjs'], { cwd: repo, encoding: 'utf8' });

describe('npm run lint', () => {
  it('ignores a scratch file git does not track, and fails once the file is tracked', () => {
    // A small project with this repository's Biome configuration and lint script.
    mkdirSync(join(repo, 'scripts'));
    copyFileSync(join(ROOT, 'scripts', 'lint.mjs'), join(repo, 'scripts', 'lint.mjs'));
    copyFileSync(join(ROOT, 'biome.json'), join(repo, 'biome.json'));
    copyFileSync(join(ROOT, '.gitignore'), join(repo, '.gitignore'));
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
    writeFileSync(join(repo, 'own.ts'), CLEAN);
    git('init', '--quiet');
    git('add', '.');
    git('commit', '--quiet', '-m', 'init');
    writeFileSync(join(repo, 'scratch.ts'), BROKEN);

    const untracked = lint();
    expect(untracked.status, untracked.stdout + untracked.stderr).toBe(0);

    git('add', 'scratch.ts');
    const tracked = lint();
    expect(tracked.status).not.toBe(0);
    expect(tracked.stdout + tracked.stderr).toContain('scratch.ts');
  });
});
