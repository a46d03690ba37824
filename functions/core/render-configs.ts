/**
 * Renders a request's `/configs` files (decision 018): the staged template files, or none, plus the
 * kind's overlay and the runtime's base config, into the files the boot step writes. `config.yaml`
 * is the staged one (parsed with the `yaml` library, comments kept) or, without one, the runtime's
 * base config, with the overlay's `config` applied as an RFC 7396 merge patch; every other staged
 * file passes through as it is. Pure: the flows read the staged files and write the bundle.
 */
import mergePatch from 'json-merge-patch';
import { Document, isMap, parseDocument } from 'yaml';
import {
  type BootFile,
  type BootFileManifestEntry,
  bootPathProblem,
  encodeBootBundle,
  manifestOf,
} from './boot-bundle.ts';
import { BootBundleError } from './errors.ts';

/** The one file the overlay's merge patch applies to. */
export const CONFIG_FILE = 'config.yaml';

/** What rendering is given. */
export interface RenderInput {
  /** Staged files by path relative to the destination; undefined when the request has no template. */
  readonly staged?: ReadonlyMap<string, Buffer>;
  /** Paths the kind's overlay requires among the staged files. */
  readonly requiredPaths: readonly string[];
  /** The overlay's `config`: an RFC 7396 merge patch onto `config.yaml`. */
  readonly configPatch: Readonly<Record<string, unknown>>;
  /** The runtime's base config, the `config.yaml` of a request without a staged one. */
  readonly baseConfig: Readonly<Record<string, unknown>>;
  /** A comment line at the top of the bundle (no secrets: ids only). */
  readonly bundleComment?: string;
}

/** What rendering came to. */
export type RenderOutcome =
  | { readonly outcome: 'missing'; readonly paths: readonly string[] }
  | { readonly outcome: 'invalid'; readonly reason: string }
  | {
      readonly outcome: 'ready';
      readonly files: readonly BootFile[];
      readonly manifest: readonly BootFileManifestEntry[];
      /** The `config.yaml` the workspace finds, as data. */
      readonly effectiveConfig: Record<string, unknown>;
      /** The boot bundle env file (`core/boot-bundle.ts`). */
      readonly bundle: string;
    };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Applies an RFC 7396 merge patch to a YAML document in place, so the comments and layout of the
 * keys the patch leaves alone survive: `null` removes a key, an object merges into a mapping (and
 * replaces anything else), every other value replaces.
 */
function applyMergePatch(
  document: Document,
  patch: Record<string, unknown>,
  path: readonly string[] = [],
): void {
  for (const [key, value] of Object.entries(patch)) {
    const at = [...path, key];
    if (value === null) {
      document.deleteIn(at);
    } else if (isPlainObject(value) && isMap(document.getIn(at, true))) {
      applyMergePatch(document, value, at);
    } else {
      // Onto a non-mapping the patch is applied to `{}`, which drops its nulls (RFC 7396 section 2).
      document.setIn(at, isPlainObject(value) ? mergePatch.apply({}, structuredClone(value)) : value);
    }
  }
}

/** The staged or base `config.yaml` as a YAML document, or why it cannot be one. */
function configDocument(
  staged: Buffer | undefined,
  baseConfig: Readonly<Record<string, unknown>>,
): Document | string {
  if (staged === undefined) {
    return new Document(structuredClone(baseConfig));
  }
  const document = parseDocument(staged.toString('utf8'), { prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return `${CONFIG_FILE} is not valid YAML: ${document.errors[0]?.message.split('\n')[0] ?? 'parse error'}`;
  }
  if (!isMap(document.contents)) return `${CONFIG_FILE} must be a YAML mapping`;
  return document;
}

/** Renders the `/configs` files of a request; see the file's summary. */
export function renderConfigs(input: RenderInput): RenderOutcome {
  const staged = input.staged ?? new Map<string, Buffer>();
  const missing = input.requiredPaths.filter((path) => !staged.has(path));
  if (missing.length > 0) return { outcome: 'missing', paths: missing };
  for (const path of staged.keys()) {
    const problem = bootPathProblem(path);
    if (problem) return { outcome: 'invalid', reason: problem };
  }
  const document = configDocument(staged.get(CONFIG_FILE), input.baseConfig);
  if (typeof document === 'string') return { outcome: 'invalid', reason: document };
  applyMergePatch(document, structuredClone(input.configPatch) as Record<string, unknown>);
  let effectiveConfig: unknown;
  try {
    effectiveConfig = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { outcome: 'invalid', reason: `${CONFIG_FILE} cannot be read: ${(error as Error).message}` };
  }
  if (!isPlainObject(effectiveConfig))
    return { outcome: 'invalid', reason: `${CONFIG_FILE} must be a YAML mapping` };
  const files: BootFile[] = [
    ...[...staged].filter(([path]) => path !== CONFIG_FILE).map(([path, content]) => ({ path, content })),
    { path: CONFIG_FILE, content: Buffer.from(document.toString()) },
  ];
  try {
    const bundle = encodeBootBundle(files, input.bundleComment);
    return { outcome: 'ready', files, manifest: manifestOf(files), effectiveConfig, bundle };
  } catch (error) {
    if (error instanceof BootBundleError) return { outcome: 'invalid', reason: error.message };
    throw error;
  }
}
