import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One figure with the target it is judged against. */
export interface Check {
  readonly key: string;
  readonly target: string;
  readonly met: boolean | 'reported';
}

/** What one benchmark produces: its figures (merged into latest.json under its key) and checks. */
export interface BenchmarkResult {
  /** When the benchmark started (ISO); set by the runner. */
  readonly startedAt?: string;
  readonly figures: Record<string, unknown>;
  readonly checks: readonly Check[];
  readonly notes?: readonly string[];
}

export const resultsDir = join(import.meta.dirname, '..', 'results');

/** Progress line on stderr, so stdout stays clean for whoever pipes it. */
export const progress = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

const commit = (): string => {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // The results files are rewritten by every run; they do not make the code under test dirty.
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results'],
      {
        encoding: 'utf8',
      },
    ).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
};

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

export const machine = (): Machine => ({
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
});

interface LatestFile {
  generatedAt: string;
  commit: string;
  machine: Machine;
  runs: Record<string, { at: string; checks: readonly Check[]; notes?: readonly string[] }>;
  [key: string]: unknown;
}

/**
 * Merges results into bench/results/latest.json (a single benchmark run replaces only its own
 * keys) and rewrites latest.md from the merged file.
 */
export async function writeResults(results: Record<string, BenchmarkResult>): Promise<LatestFile> {
  await mkdir(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, 'latest.json');
  let previous: Partial<LatestFile> = {};
  try {
    previous = JSON.parse(await readFile(jsonPath, 'utf8')) as Partial<LatestFile>;
  } catch {
    previous = {};
  }
  const now = new Date().toISOString();
  const latest: LatestFile = {
    ...previous,
    generatedAt: now,
    commit: commit(),
    machine: machine(),
    runs: { ...(previous.runs ?? {}) },
  };
  for (const [name, result] of Object.entries(results)) {
    deepMerge(latest, result.figures);
    latest.runs[name] = {
      at: result.startedAt ?? now,
      checks: result.checks,
      ...(result.notes ? { notes: result.notes } : {}),
    };
  }
  await writeFile(jsonPath, `${JSON.stringify(latest, null, 2)}\n`);
  await writeFile(join(resultsDir, 'latest.md'), renderMarkdown(latest));
  return latest;
}

/** Merges figures key by key, so `faults.duplicates` and `faults.crash` from separate runs coexist. */
function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      existing &&
      typeof existing === 'object' &&
      !Array.isArray(existing)
    ) {
      deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}

const lookup = (root: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], root);

function renderMarkdown(latest: LatestFile): string {
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench`; every figure below comes from the run recorded here.',
    '',
    '| | |',
    '|---|---|',
    `| generated | ${latest.generatedAt} |`,
    `| commit | ${latest.commit} |`,
    `| machine | ${latest.machine.cpu}, ${latest.machine.cores} cores, ${latest.machine.memoryGiB} GiB, ${latest.machine.platform} |`,
    `| Node | ${latest.machine.node} |`,
    '',
  ];
  for (const [name, run] of Object.entries(latest.runs)) {
    lines.push(
      `## ${name}`,
      '',
      `Run at ${run.at}.`,
      '',
      '| figure | value | target | met |',
      '|---|---|---|---|',
    );
    for (const check of run.checks) {
      const value = lookup(latest, check.key);
      const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
      const met = check.met === 'reported' ? 'reported' : check.met ? 'yes' : '**no**';
      lines.push(`| \`${check.key}\` | ${shown} | ${check.target} | ${met} |`);
    }
    if (run.notes?.length) lines.push('', ...run.notes.map((note) => `- ${note}`));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
