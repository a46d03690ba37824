import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { type BenchmarkResult, type Check, progress } from './lib/report.ts';
import { median, round } from './lib/stats.ts';

/**
 * Cold start of each function's production bundle, built as CDK builds it: `cdk synth` bundles every
 * NodejsFunction into cdk.out, and each bundle is imported in fresh Node 24 processes. The floor is
 * a bundle of only the AWS SDK clients the function uses, built with the same esbuild options and
 * constructed the same way, so the difference is what our code and libraries add.
 */

const root = join(import.meta.dirname, '..');
const RUNS = 15;

/** The environment a deployed function gets; import must succeed with these only. */
const LAMBDA_ENV: Record<string, string> = {
  EVENT_BUS_NAME: 'workspaces',
  PROVISIONER_SOURCE: 'platform.provisioner',
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
  SUBNET_IDS: 'subnet-0a,subnet-0b',
  SECURITY_GROUP_IDS: 'sg-0a',
  ASSIGN_PUBLIC_IP: 'DISABLED',
  IMAGE_REGISTRY: 'ghcr.io/molecule-ai',
  IMAGE_TAG: 'latest',
  TIER_SIZING: '1=256/512,2=512/1024,3=1024/2048,4=2048/4096',
  IDEMPOTENCY_TABLE_NAME: 'workspace-provisioner-idempotency',
  // v1.1: the launching functions' workspace files bucket.
  WORKSPACE_FILES_BUCKET: 'workspace-files',
  POWERTOOLS_METRICS_NAMESPACE: 'WorkspaceProvisioner',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_TRACE_ENABLED: 'false',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  // A closed loopback port: an import that made a network call would fail or hang here.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

interface FunctionBundle {
  readonly name: string;
  readonly file: string;
}

/** Runs `cdk synth` into a scratch dir and finds each function's bundle through its template. */
async function synthesizeBundles(outdir: string): Promise<FunctionBundle[]> {
  progress('coldStart: cdk synth (bundles every function with esbuild, as a deploy would)');
  execFileSync(join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', outdir], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  const template = JSON.parse(await readFile(join(outdir, 'WorkspaceProvisioner.template.json'), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Metadata?: Record<string, string>; Properties?: Record<string, unknown> }
    >;
  };
  const bundles: FunctionBundle[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const env = (resource.Properties?.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    const name = env?.POWERTOOLS_SERVICE_NAME;
    if (!assetPath || !name) continue;
    const files = await readdir(join(outdir, assetPath));
    const entry =
      files.find((file) => file === 'index.mjs') ??
      files.find((file) => file.endsWith('.mjs') || file === 'index.js');
    if (entry) bundles.push({ name, file: join(outdir, assetPath, entry) });
  }
  return bundles.sort((a, b) => a.name.localeCompare(b.name));
}

/** The AWS SDK clients a function's code pulls in, read from an esbuild metafile of its entry. */
async function sdkClientsOf(name: string, scratch: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, 'functions', name, 'handler.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    metafile: true,
    mainFields: ['module', 'main'],
    outfile: join(scratch, `${name}-meta.mjs`),
    logLevel: 'silent',
  });
  const clients = new Set<string>();
  for (const input of Object.keys((result.metafile as Metafile).inputs)) {
    const match = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
    if (match?.[1]) clients.add(match[1]);
  }
  return [...clients].sort();
}

const clientClass = (pkg: string): string => {
  const known: Record<string, string> = {
    'client-ecs': 'ECSClient',
    'client-eventbridge': 'EventBridgeClient',
    'client-dynamodb': 'DynamoDBClient',
    'client-sqs': 'SQSClient',
  };
  return known[pkg] ?? `${pkg.replace('client-', '').toUpperCase()}Client`;
};

/** A bundle of only those clients, with the options CDK's NodejsFunction uses for ours. */
async function buildFloorBundle(name: string, clients: readonly string[], scratch: string): Promise<string> {
  const source = join(scratch, `${name}-floor.mjs`);
  const lines = clients.map(
    (pkg, index) => `import { ${clientClass(pkg)} as C${index} } from '@aws-sdk/${pkg}';`,
  );
  lines.push(...clients.map((_, index) => `export const client${index} = new C${index}({});`));
  lines.push('export const handler = async () => ({ ok: true });');
  await writeFile(source, `${lines.join('\n')}\n`);
  const outfile = join(scratch, `${name}-floor`, 'index.mjs');
  await build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    outfile,
    nodePaths: [join(root, 'node_modules')],
    absWorkingDir: root,
    logLevel: 'silent',
  });
  return outfile;
}

/** Milliseconds to import a bundle in a fresh Node process (the Lambda init phase's module load). */
function importTime(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(`file://${file}`)});process.stdout.write(String(performance.now()-t));`;
  const child = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, POWERTOOLS_SERVICE_NAME: 'bench' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr.slice(0, 500)}`);
  return Number(child.stdout);
}

/**
 * Medians of the bundle's and the floor's import times, measured alternately so that a busy
 * moment of the machine weighs on both alike.
 */
function pairedImportTimes(bundle: string, floor: string): { initMs: number; floorInitMs: number } {
  const bundleSamples: number[] = [];
  const floorSamples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    bundleSamples.push(importTime(bundle));
    floorSamples.push(importTime(floor));
  }
  return { initMs: median(bundleSamples), floorInitMs: median(floorSamples) };
}

export async function runColdStartBenchmark(): Promise<BenchmarkResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'bench-cold-start-'));
  try {
    const bundles = await synthesizeBundles(join(scratch, 'cdk.out'));
    if (bundles.length === 0) throw new Error('cdk synth produced no function bundles');
    const figures: Record<
      string,
      { bundleBytes: number; initMs: number; floorInitMs: number; sdkClients: string[] }
    > = {};
    const checks: Check[] = [];
    for (const bundle of bundles) {
      const clients = await sdkClientsOf(bundle.name, scratch);
      const floor = await buildFloorBundle(bundle.name, clients, scratch);
      const bundleBytes = (await stat(bundle.file)).size;
      const times = pairedImportTimes(bundle.file, floor);
      const initMs = round(times.initMs, 1);
      const floorInitMs = round(times.floorInitMs, 1);
      figures[bundle.name] = { bundleBytes, initMs, floorInitMs, sdkClients: clients };
      progress(
        `coldStart: ${bundle.name}: ${bundleBytes} bytes, init ${initMs} ms, floor ${floorInitMs} ms (${clients.join(', ')})`,
      );
      checks.push({
        key: `coldStart.${bundle.name}.initMs`,
        target: `<= 1.3 x floorInitMs (${floorInitMs} ms; ratio ${round(initMs / floorInitMs, 2)})`,
        met: initMs <= 1.3 * floorInitMs,
      });
    }
    return {
      figures: { coldStart: figures },
      checks,
      notes: [
        `median of ${RUNS} fresh-process imports each, bundle and floor alternately, Node ${process.version}, ${process.arch}`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
