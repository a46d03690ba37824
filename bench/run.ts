/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name> [<name>...]` runs some. Results go
 * to bench/results/latest.json and latest.md (a partial run replaces only its own figures).
 */

import { runBurstBenchmark } from './burst.ts';
import { runColdStartBenchmark } from './cold-start.ts';
import { runConsoleBenchmark } from './console.ts';
import { runDataVolumesBenchmark } from './data-volumes.ts';
import {
  runBadInputBenchmark,
  runCrashBenchmark,
  runDuplicatesBenchmark,
  runInjectedFaultsBenchmark,
} from './faults.ts';
import { runFlowLatencyBenchmark } from './flow-latency.ts';
import { type BenchmarkResult, progress, writeResults } from './lib/report.ts';
import { runMatcherBenchmark } from './matcher.ts';
import { runRecoveryBenchmark } from './recovery.ts';
import { runReorderBenchmark } from './reorder.ts';

type Benchmark = () => Promise<BenchmarkResult>;

/** In the order `npm run bench` runs them; `burst` also records `memory.peakRssMb`. */
const BENCHMARKS: Record<string, Benchmark> = {
  matcher: runMatcherBenchmark,
  flowLatency: runFlowLatencyBenchmark,
  coldStart: runColdStartBenchmark,
  duplicates: runDuplicatesBenchmark,
  badInput: runBadInputBenchmark,
  reorder: runReorderBenchmark,
  injected: runInjectedFaultsBenchmark,
  crash: runCrashBenchmark,
  recovery: runRecoveryBenchmark,
  burst: runBurstBenchmark,
  dataVolumes: runDataVolumesBenchmark,
  console: runConsoleBenchmark,
};

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = requested.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(BENCHMARKS).join(', ')}`,
  );
  process.exit(2);
}
const names = requested.length > 0 ? requested : Object.keys(BENCHMARKS);
const started = Date.now();
const results: Record<string, BenchmarkResult> = {};
for (const name of names) {
  progress(`=== ${name} ===`);
  const benchmark = BENCHMARKS[name] as Benchmark;
  const startedAt = new Date().toISOString();
  results[name] = { ...(await benchmark()), startedAt };
}
const latest = await writeResults(results);
const missed = names.flatMap((name) =>
  (latest.runs[name]?.checks ?? []).filter((check) => check.met === false),
);
progress(
  `done in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote bench/results/latest.json and latest.md`,
);
for (const check of missed) progress(`target missed: ${check.key} (${check.target})`);
