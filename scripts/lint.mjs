// `npm run lint`: Biome over the project's own files, the ones git tracks, so a scratch file a user
// leaves in the tree never fails `npm test`. Outside a git work tree (an unpacked tarball) it checks
// the whole tree as Biome's configuration selects it.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const biome = join(process.cwd(), 'node_modules', '.bin', 'biome');
const LINTED = ['*.ts', '*.mts', '*.mjs', '*.js', '*.json', '*.jsonc'];

let files;
try {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--', ...LINTED], { encoding: 'utf8' });
  files = listed.split('\0').filter(Boolean);
} catch {
  files = ['.'];
}
const result = spawnSync(biome, ['check', '--no-errors-on-unmatched', ...files], { stdio: 'inherit' });
process.exitCode = result.status ?? 1;
