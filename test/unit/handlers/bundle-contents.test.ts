import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName } from '#wiring/functions.ts';

/**
 * What each Lambda bundle pulls in, read from an esbuild metafile of its entry (bundled as CDK
 * bundles it: ESM, `module` before `main`). What a bundle keeps is parsed and run at every cold
 * start, so an entry must not reach code its function never calls.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The AWS SDK clients each function calls, and no others. */
const CLIENTS: Readonly<Record<FunctionName, readonly string[]>> = {
  // v1.1: S3 for the secrets check (listing), the boot bundle and the staged assets.
  provision: ['client-dynamodb', 'client-ec2', 'client-ecs', 'client-eventbridge', 'client-s3'],
  'assets-staged': ['client-dynamodb', 'client-ec2', 'client-ecs', 'client-eventbridge', 'client-s3'],
  // It checks a launched event against ECS (DescribeTasks) before it acts on it.
  overlay: ['client-dynamodb', 'client-ecs', 'client-eventbridge'],
  'task-state': ['client-dynamodb', 'client-eventbridge'],
  // v1.3: an erase lists and deletes the workspace's data volumes and snapshots.
  deprovision: ['client-dynamodb', 'client-ec2', 'client-ecs', 'client-eventbridge'],
  // v1.1: the recorded requests awaiting assets.
  // v1.3: EC2 for the data saves it resumes.
  'timeout-sweep': ['client-dynamodb', 'client-ec2', 'client-ecs', 'client-eventbridge'],
  'failure-reporter': ['client-ecs', 'client-eventbridge'],
  // v1.2: relaunches (RunTask, StopTask), reads and rewrites the boot bundle, the workspace records.
  lifecycle: ['client-dynamodb', 'client-ec2', 'client-ecs', 'client-eventbridge', 'client-s3'],
};

interface BundleInputs {
  /** Every input the entry reaches. */
  readonly reached: string[];
  /** The inputs that keep code in the output after tree shaking. */
  readonly kept: string[];
}

const bundles = new Map<FunctionName, Promise<BundleInputs>>();

const inputsOf = (name: FunctionName): Promise<BundleInputs> => {
  let inputs = bundles.get(name);
  if (!inputs) {
    inputs = bundleInputs(name);
    bundles.set(name, inputs);
  }
  return inputs;
};

async function bundleInputs(name: FunctionName): Promise<BundleInputs> {
  const result = await build({
    entryPoints: [`${root}${FUNCTIONS[name].entry}`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    outfile: `${name}.mjs`,
    absWorkingDir: root,
    logLevel: 'silent',
  });
  const metafile = result.metafile as Metafile;
  const kept = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
  return { reached: Object.keys(metafile.inputs), kept };
}

describe('Lambda bundles', () => {
  it.concurrent.each(FUNCTION_NAMES)('%s bundles only the SDK clients it calls', async (name) => {
    const clients = new Set<string>();
    for (const input of (await inputsOf(name)).reached) {
      const match = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
      if (match?.[1]) clients.add(match[1]);
    }
    expect([...clients].sort()).toEqual(CLIENTS[name]);
  });

  it.concurrent.each(FUNCTION_NAMES)(
    '%s leaves out the Powertools parser built-in event schemas',
    async (name) => {
      // Powertools' own envelope modules import all of its ~40 AWS event schemas, and the whole zod.
      const schemas = (await inputsOf(name)).reached.filter((input) =>
        input.includes('@aws-lambda-powertools/parser/lib/esm/schemas/'),
      );
      expect(schemas).toEqual([]);
    },
  );

  // `import * as z from 'zod'` lets the bundler keep only what is used; `import { z }` keeps every
  // locale. config/catalog.ts still imports `{ z }`, so only the functions without the catalog qualify.
  it.concurrent.each(['deprovision', 'failure-reporter'] as const)(
    '%s bundles zod without its other locales',
    async (name) => {
      const locales = (await inputsOf(name)).kept.filter((input) =>
        /node_modules\/zod\/v4\/locales\/(?!en\.js)/.test(input),
      );
      expect(locales).toEqual([]);
    },
  );
});
