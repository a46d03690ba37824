/**
 * The local stack's task definitions (v1.3): each runtime's family has the `workspace-data` volume
 * `configuredAtLaunch`, mounted on the workspace container at the runtime's data path, as CDK declares
 * it; a catalog that moves a runtime's data path moves the mount.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import { DATA_VOLUME_NAME } from '#contracts/names.ts';
import { taskDefinitionsOf } from '#local/stack/start-services.ts';

describe('the local task definitions', () => {
  it('give every runtime the workspace-data volume at its data path', () => {
    const catalog = loadCatalog({});
    const definitions = taskDefinitionsOf(catalog);
    expect(definitions.map((definition) => definition.dataVolume)).toEqual(
      Object.values(catalog.runtimes).map((runtime) => ({
        name: DATA_VOLUME_NAME,
        mountPath: runtime.dataPath,
      })),
    );
  });

  it('follow a runtime whose data path is not the default', () => {
    const catalog = loadCatalog({});
    const [name, runtime] = Object.entries(catalog.runtimes)[0] as [
      string,
      (typeof catalog.runtimes)[string],
    ];
    const moved = {
      ...catalog,
      runtimes: { ...catalog.runtimes, [name]: { ...runtime, dataPath: '/home/agent' } },
    };
    const definition = taskDefinitionsOf(moved).find((candidate) => candidate.family === runtime.family);
    expect(definition?.dataVolume).toEqual({ name: DATA_VOLUME_NAME, mountPath: '/home/agent' });
  });
});
