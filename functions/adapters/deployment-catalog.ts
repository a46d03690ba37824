import { type Catalog, loadCatalog, parseRuntimeMap, parseTierSizing } from '#config/catalog.ts';
import type { CatalogEnvironment } from './environment.ts';

/**
 * The runtime catalog with the deployment's image registry, tag, digests, tier sizing and task
 * definition revisions applied (see
 * `readCatalogEnvironment`). Kept apart from the environment module so that only the entries that
 * use the catalog bundle it and its validation schemas.
 *
 * @throws ConfigError when an override is invalid.
 * @example deploymentCatalog(readCatalogEnvironment())
 */
export function deploymentCatalog(environment: CatalogEnvironment): Catalog {
  return loadCatalog({
    ...(environment.registry ? { registry: environment.registry } : {}),
    ...(environment.tag ? { tag: environment.tag } : {}),
    ...(environment.tierSizing ? { tiers: parseTierSizing(environment.tierSizing) } : {}),
    ...(environment.imageDigests
      ? { imageDigests: parseRuntimeMap(environment.imageDigests, 'IMAGE_DIGESTS entry') }
      : {}),
    ...(environment.taskDefinitionArns
      ? { taskDefinitions: parseRuntimeMap(environment.taskDefinitionArns, 'TASK_DEFINITION_ARNS entry') }
      : {}),
  });
}
