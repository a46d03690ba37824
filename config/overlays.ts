import { KINDS, type Kind } from '#contracts/names.ts';
import { Overlay } from '#contracts/outbound.ts';
import { ConfigError } from './errors.ts';
import rawOverlays from './overlays.json' with { type: 'json' };

/** The org-admin platform MCP plugin; only `kind=platform` may declare it. */
export const PLATFORM_MCP_PLUGIN = 'molecule-ai-plugin-molecule-platform-mcp';

export type OverlayTable = Readonly<Record<Kind, Overlay>>;

/**
 * Loads and validates the kind overlays: exactly one per contract kind, each a valid overlay, and
 * the platform MCP plugin declared for `platform` only.
 */
export function loadOverlays(file: unknown = rawOverlays): OverlayTable {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new ConfigError('config/overlays.json must be an object keyed by kind');
  }
  const entries = Object.entries(file).filter(([key]) => key !== '$comment');
  const declared = entries.map(([key]) => key).sort();
  const expected = [...KINDS].sort();
  if (JSON.stringify(declared) !== JSON.stringify(expected)) {
    throw new ConfigError(
      `config/overlays.json must declare exactly the kinds ${expected.join(', ')}; it declares ${declared.join(', ') || 'none'}`,
    );
  }
  const table: Partial<Record<Kind, Overlay>> = {};
  for (const [kind, value] of entries) {
    const parsed = Overlay.safeParse(value);
    if (!parsed.success) {
      const detail = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
      throw new ConfigError(`config/overlays.json ${kind}: ${detail.join('; ')}`);
    }
    if (kind !== 'platform' && parsed.data.plugins.some((plugin) => plugin.name === PLATFORM_MCP_PLUGIN)) {
      throw new ConfigError(
        `config/overlays.json ${kind}: ${PLATFORM_MCP_PLUGIN} may be declared for platform only`,
      );
    }
    if (parsed.data.identity && !parsed.data.template) {
      throw new ConfigError(
        `config/overlays.json ${kind}: identity through template assets needs a template`,
      );
    }
    table[kind as Kind] = Object.freeze(parsed.data);
  }
  return Object.freeze(table as Record<Kind, Overlay>);
}
