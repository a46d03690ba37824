import mergePatch from 'json-merge-patch';
import type { RuntimeSpec } from '#config/catalog.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { Kind } from '#contracts/names.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type { Overlay, PluginInstallRequestedDetail, TaskLaunchedDetail } from '#contracts/outbound.ts';

/** An event to emit, before the envelope is added. */
export interface DomainEvent<D = Record<string, unknown>> {
  readonly detailType: string;
  readonly detail: D;
}

/** The overlay a kind gets, and the runtime's base config with the overlay's merge patch applied. */
export interface ResolvedOverlay {
  readonly overlay: Overlay;
  readonly effectiveConfig: Record<string, unknown>;
}

/**
 * The overlay for a kind, applied over the runtime's base config with RFC 7396 merge-patch
 * semantics (`null` removes a key, objects merge, everything else replaces).
 */
export function overlayForKind(kind: Kind, runtime: RuntimeSpec, overlays: OverlayTable): ResolvedOverlay {
  const overlay = overlays[kind];
  const base = structuredClone(runtime.baseConfig) as Record<string, unknown>;
  const effectiveConfig = mergePatch.apply(base, structuredClone(overlay.config)) as Record<string, unknown>;
  return { overlay, effectiveConfig };
}

/**
 * The template a request's workspace is built from: the kind's overlay forces one (`platform`
 * forces `platform-agent`), else the request's own, else none (then nothing is staged).
 */
export function templateFor(
  kind: Kind,
  requestTemplate: string | undefined,
  overlays: OverlayTable,
): string | undefined {
  return overlays[kind].template ?? requestTemplate;
}

/** The paths the kind's overlay requires among the staged files (may be empty). */
export function requiredPathsFor(kind: Kind, overlays: OverlayTable): string[] {
  return [...(overlays[kind].identity?.paths ?? [])];
}

/**
 * The plugin install requests of a launched workspace's overlay, one per plugin. Since v1.1 the
 * overlay's files are in place before the workspace starts, and `Workspace Config Overlay Applied`
 * comes from the task-state function on evidence, so plugins are all that is left to ask for after
 * the launch. `kind=workspace` gets none.
 */
export function pluginInstallEventsFor(launched: TaskLaunchedDetail, overlays: OverlayTable): DomainEvent[] {
  return overlays[launched.kind].plugins.map((plugin) => {
    const detail: PluginInstallRequestedDetail = {
      workspaceId: launched.workspaceId,
      kind: launched.kind,
      plugin: { name: plugin.name, source: plugin.source },
      requestId: launched.requestId,
      taskArn: launched.taskArn,
    };
    return { detailType: DETAIL_TYPES.pluginInstallRequested, detail: { ...detail } };
  });
}
