/**
 * A small import graph of the repository, for the boundary tests: every static `import`/`export
 * ... from` and dynamic `import('...')` of each TypeScript file, resolved to a repository folder
 * (`#wiring/x.ts` -> `wiring/x.ts`, `../a.ts` -> its path) or kept as a package name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const aliases: Record<string, string> = (() => {
  const { imports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    imports: Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(imports).map(([alias, target]) => [
      alias.replace(/\*$/, ''),
      target.replace(/^\.\//, '').replace(/\*$/, ''),
    ]),
  );
})();

export interface ImportEdge {
  /** Importing file, relative to the root. */
  readonly from: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** A repository path for local imports; the package name (or `node:x`) otherwise. */
  readonly target: string;
  readonly local: boolean;
}

const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The specifiers a source text imports. */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS)
    for (const match of source.matchAll(pattern)) found.push(match[1] ?? '');
  return found;
}

/** Resolves one specifier of `from` (a root-relative path). */
export function resolveSpecifier(from: string, specifier: string): Pick<ImportEdge, 'target' | 'local'> {
  for (const [alias, folder] of Object.entries(aliases)) {
    if (specifier.startsWith(alias))
      return { target: normalize(folder + specifier.slice(alias.length)), local: true };
  }
  if (specifier.startsWith('.')) return { target: normalize(join(dirname(from), specifier)), local: true };
  const parts = specifier.split('/');
  return {
    target: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier),
    local: false,
  };
}

/** Every `.ts` file under the given root-relative folders. */
export function sourceFiles(folders: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const folder of folders) walk(folder);
  return files;
}

/** The import edges of the files (read from disk unless `sources` gives a file's text). */
export function importEdges(
  files: readonly string[],
  sources: Readonly<Record<string, string>> = {},
): ImportEdge[] {
  return files.flatMap((from) =>
    specifiersOf(sources[from] ?? readFileSync(join(ROOT, from), 'utf8')).map((specifier) => ({
      from,
      specifier,
      ...resolveSpecifier(from, specifier),
    })),
  );
}

/** A boundary: files under `from` must not import anything `forbidden` matches. */
export interface BoundaryRule {
  readonly name: string;
  /** Root-relative folder prefixes the rule applies to. */
  readonly from: readonly string[];
  /** Except these files or folders. */
  readonly except?: readonly string[];
  /** Forbidden targets: repository folder prefixes (`infra/`) or package names (`aws-cdk-lib`). */
  readonly forbidden: readonly string[];
}

const under = (path: string, prefixes: readonly string[]): boolean =>
  prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));

/** The edges that break a rule, as `rule: from -> specifier` lines. */
export function violations(edges: readonly ImportEdge[], rules: readonly BoundaryRule[]): string[] {
  const found: string[] = [];
  for (const rule of rules) {
    for (const edge of edges) {
      if (!under(edge.from, rule.from) || under(edge.from, rule.except ?? [])) continue;
      const hit = rule.forbidden.some((forbidden) =>
        edge.local ? under(edge.target, [forbidden]) : edge.target === forbidden,
      );
      if (hit) found.push(`${rule.name}: ${relative('.', edge.from)} -> ${edge.specifier}`);
    }
  }
  return found;
}
