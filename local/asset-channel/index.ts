/**
 * The template asset channel stand-in (local only): upstream's side of `Workspace Template Assets
 * Requested`, through public interfaces only. The CLI's `workspaces assets stage` reuses its pieces.
 */

export { type AssetsRequest, readAssetsRequest } from './assets-request.ts';
export { type AssetChannel, type AssetChannelOptions, createAssetChannel } from './channel.ts';
export { parseDestination, type StagingDestination } from './destination.ts';
export {
  AssetChannelError,
  InvalidAssetsRequestError,
  InvalidDestinationError,
  UnknownTemplateError,
} from './errors.ts';
export { ASSET_CHANNEL_ROUTE_ID, ASSET_CHANNEL_TARGET, assetChannelRoute } from './route.ts';
export { type PublishStagedOptions, publishStaged, type StagedObject, stageFiles } from './stage-files.ts';
export { readTemplateFiles, TEMPLATES_DIR, type TemplateFile, templateDirectory } from './template-files.ts';
