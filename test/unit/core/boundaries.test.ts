import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import overlaysFile from '#config/overlays.json' with { type: 'json' };
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import { DETAIL_TYPES, KINDS } from '#contracts/names.ts';
import { type BoundaryRule, type ImportEdge, importEdges, sourceFiles, violations } from './import-graph.ts';

const coreDir = join(import.meta.dirname, '..', '..', '..', 'functions', 'core');

describe('architecture invariants', () => {
  it('keeps core/ free of the AWS SDK, adapters, infra, local and I/O', async () => {
    const files = (await readdir(coreDir)).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    const forbidden = [
      /@aws-sdk\//,
      /aws-cdk-lib/,
      /@aws-lambda-powertools\//,
      /#adapters\//,
      /#infra\//,
      /#local\//,
      /node:(fs|http|https|net|child_process)/,
      /^\.\.\//,
    ];
    for (const file of files) {
      const source = await readFile(join(coreDir, file), 'utf8');
      const imports = [...source.matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)].map(
        (match) => match[1] ?? '',
      );
      for (const specifier of imports) {
        for (const pattern of forbidden)
          expect(specifier, `${file} imports ${specifier}`).not.toMatch(pattern);
      }
    }
  });

  it('keeps every layer boundary of the tree', () => {
    const edges = importEdges(sourceFiles(['functions', 'wiring', 'config', 'infra', 'local']));
    expect(edges.length).toBeGreaterThan(100);
    expect(violations(edges, BOUNDARY_RULES)).toEqual([]);
  });

  it.each(BOUNDARY_RULES.map((rule) => [rule.name, rule] as const))(
    'catches a forbidden import under the rule %s',
    (_name, rule) => {
      const file = `${rule.from[0]}/added-by-the-test.ts`;
      for (const forbidden of rule.forbidden) {
        const specifier = FORBIDDEN_SPECIFIER[forbidden] ?? forbidden;
        const edges = importEdges([file], { [file]: `import { x } from '${specifier}';\n` });
        expect(violations(edges, [rule]), `${file} importing ${specifier}`).toEqual([
          `${rule.name}: ${file} -> ${specifier}`,
        ]);
      }
    },
  );

  it('has no import cycle between the folders of local/', () => {
    const edges = importEdges(sourceFiles(['local']));
    expect(edges.length).toBeGreaterThan(50);
    expect(localFolderCycles(edges)).toEqual([]);
  });

  it('catches an import cycle between two folders of local/', () => {
    const files = ['local/ecs/added-by-the-test.ts', 'local/eventbridge/added-by-the-test.ts'];
    const edges = importEdges(files, {
      'local/ecs/added-by-the-test.ts': "import { x } from '#local/eventbridge/index.ts';\n",
      'local/eventbridge/added-by-the-test.ts': "import { y } from '../ecs/index.ts';\n",
    });
    expect(localFolderCycles(edges)).toEqual([['ecs', 'eventbridge', 'ecs']]);
  });

  it('keeps the kind constants equal to the contract enum and the overlay table', () => {
    const provision = detailJsonSchemas().find(
      (document) => document.detailType === DETAIL_TYPES.provisionRequested,
    );
    if (!provision) throw new Error('no JSON Schema for provision requests');
    const kindEnum = (provision.schema as { properties: { kind: { enum: string[] } } }).properties.kind.enum;
    expect(kindEnum).toEqual([...KINDS]);
    expect(
      Object.keys(overlaysFile)
        .filter((key) => key !== '$comment')
        .sort(),
    ).toEqual([...KINDS].sort());
  });
});

/**
 * The import boundaries (docs/architecture.md). The wiring is CDK-free and shared by infra/ and
 * local/; neither of those imports the other; nothing under functions/ imports either.
 */
const BOUNDARY_RULES: readonly BoundaryRule[] = [
  {
    name: 'the wiring imports neither the CDK, infra/, local/ nor the adapters',
    from: ['wiring'],
    forbidden: ['aws-cdk-lib', 'constructs', 'cdk-nag', 'infra', 'local', 'functions/adapters', 'bench'],
  },
  {
    name: 'functions/ imports nothing from infra/ or local/',
    from: ['functions', 'config'],
    forbidden: ['aws-cdk-lib', 'constructs', 'cdk-nag', 'infra', 'local', 'bench'],
  },
  {
    name: 'the ports and policies import no AWS SDK client and nothing from the adapters',
    from: ['functions/ports', 'functions/policies'],
    forbidden: [
      '@aws-sdk/client-ecs',
      '@aws-sdk/client-eventbridge',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/lib-dynamodb',
      'functions/adapters',
    ],
  },
  {
    name: "the asset channel stand-in is upstream's: it reaches the stack through the public APIs only",
    from: ['local/asset-channel'],
    forbidden: [
      'functions/adapters',
      'functions/core',
      'functions/ports',
      'functions/policies',
      'functions/provision',
      'functions/task-state',
      'wiring',
      'local/store',
      'local/ecs',
      'local/s3',
      'local/eventbridge',
      'local/lambda',
      'local/ports',
      'local/stack',
      'local/stack.ts',
      'local/wire',
    ],
  },
  { name: 'infra/ imports nothing from local/', from: ['infra'], forbidden: ['local', 'bench'] },
  {
    name: 'local/ imports nothing from infra/ and never the CDK',
    from: ['local'],
    forbidden: ['infra', 'aws-cdk-lib', 'constructs', 'cdk-nag', 'bench'],
  },
  {
    name: "local/'s lower layer (wire, store, event-pattern, faults, eventbridge, ecs, sqs, simulate) imports nothing of its upper layer",
    from: [
      'local/wire',
      'local/store',
      'local/event-pattern',
      'local/faults',
      'local/eventbridge',
      'local/ecs',
      'local/sqs',
      'local/simulate',
      'local/interfaces.ts',
    ],
    forbidden: [
      'local/routing',
      'local/lambda',
      'local/lambda-api',
      'local/ports',
      'local/cli',
      'local/stack',
      'local/stack.ts',
      'local/main.ts',
      'local/workspace-stand-in.ts',
      'local/clients.ts',
    ],
  },
];

/** The folder of `local/` a path belongs to; `local/stack.ts` and `local/stack/` are one unit. */
function localFolderOf(path: string): string | undefined {
  const [top, unit, rest] = path.split('/');
  if (top !== 'local' || unit === undefined) return undefined;
  return rest === undefined ? unit.replace(/\.ts$/, '') : unit;
}

/** Each cycle of imports between folders of `local/`, as the folders walked (first one repeated). */
function localFolderCycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const edge of edges) {
    const from = localFolderOf(edge.from);
    const to = edge.local ? localFolderOf(edge.target) : undefined;
    if (from === undefined || to === undefined || from === to) continue;
    graph.set(from, (graph.get(from) ?? new Set()).add(to));
  }
  const cycles: string[][] = [];
  const done = new Set<string>();
  function visit(folder: string, path: readonly string[]): void {
    const seenAt = path.indexOf(folder);
    if (seenAt >= 0) {
      cycles.push([...path.slice(seenAt), folder]);
      return;
    }
    if (done.has(folder)) return;
    for (const next of [...(graph.get(folder) ?? [])].sort()) visit(next, [...path, folder]);
    done.add(folder);
  }
  for (const folder of [...graph.keys()].sort()) visit(folder, []);
  return cycles;
}

/** How a test writes an import of each forbidden target. */
const FORBIDDEN_SPECIFIER: Readonly<Record<string, string>> = {
  infra: '#infra/settings.ts',
  local: '#local/stack.ts',
  bench: '../bench/run.ts',
  'functions/adapters': '#adapters/environment.ts',
  'local/routing': '#local/routing/router.ts',
  'local/lambda': '#local/lambda/invoker.ts',
  'local/lambda-api': '#local/lambda-api/index.ts',
  'local/ports': '#local/ports/remote.ts',
  'local/cli': '#local/cli/format.ts',
  'local/stack': '#local/stack/activity-log.ts',
  'local/stack.ts': '#local/stack.ts',
  'local/main.ts': '#local/main.ts',
  'local/workspace-stand-in.ts': '#local/workspace-stand-in.ts',
  'local/clients.ts': '#local/clients.ts',
  'functions/core': '#core/workspace-files.ts',
  'functions/ports': '#ports/task-runner.ts',
  'functions/policies': '#policies/workspace-lease.ts',
  'functions/provision': '#functions/provision/create-handler.ts',
  'functions/task-state': '#functions/task-state/create-handler.ts',
  wiring: '#wiring/functions.ts',
  'local/store': '#local/store/index.ts',
  'local/ecs': '#local/ecs/index.ts',
  'local/s3': '#local/s3/index.ts',
  'local/eventbridge': '#local/eventbridge/index.ts',
  'local/wire': '#local/wire/index.ts',
};
