import mergePatch from 'json-merge-patch';
import type { RuntimeSpec } from '#config/catalog.ts';
import type { OverlayTable } from '#config/overlays.ts';
import type { Kind } from '#contracts/names.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import type {
  ConfigOverlayAppliedDetail,
  Overlay,
  PluginInstallRequestedDetail,
  TaskLaunchedDetail,
  TemplateAssetsRequestedDetail,
} from '#contracts/outbound.ts';

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
 * The events that apply a launched workspace's overlay: the template assets request when the overlay
 * delivers identity through the template asset channel, one plugin install request per plugin,
 * then `Workspace Config Overlay Applied`, which comes last so that seeing it means the overlay's
 * requests are out. `kind=workspace` gets only the Applied event with the empty overlay.
 */
export function overlayEventsFor(
  launched: TaskLaunchedDetail,
  runtime: RuntimeSpec,
  overlays: OverlayTable,
): DomainEvent[] {
  const { overlay, effectiveConfig } = overlayForKind(launched.kind, runtime, overlays);
  const events: DomainEvent[] = [];
  const template = overlay.template ?? launched.template;
  if (overlay.identity && template) {
    const detail: TemplateAssetsRequestedDetail = {
      workspaceId: launched.workspaceId,
      kind: launched.kind,
      template,
      paths: [...overlay.identity.paths],
      requestId: launched.requestId,
      taskArn: launched.taskArn,
    };
    events.push({ detailType: DETAIL_TYPES.templateAssetsRequested, detail: { ...detail } });
  }
  for (const plugin of overlay.plugins) {
    const detail: PluginInstallRequestedDetail = {
      workspaceId: launched.workspaceId,
      kind: launched.kind,
      plugin: { name: plugin.name, source: plugin.source },
      requestId: launched.requestId,
      taskArn: launched.taskArn,
    };
    events.push({ detailType: DETAIL_TYPES.pluginInstallRequested, detail: { ...detail } });
  }
  const applied: ConfigOverlayAppliedDetail = {
    requestId: launched.requestId,
    workspaceId: launched.workspaceId,
    kind: launched.kind,
    runtime: launched.runtime,
    taskArn: launched.taskArn,
    overlay,
    effectiveConfig,
  };
  events.push({ detailType: DETAIL_TYPES.configOverlayApplied, detail: { ...applied } });
  return events;
}
