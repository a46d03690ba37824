/**
 * Staging: PutObject of each file under the destination prefix (key = prefix + relative path), and
 * the `Workspace Template Assets Staged` event that tells the provisioner the files are in place.
 * Both go through the public AWS APIs only, as an upstream team's channel does.
 */

import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_EVENT_BUS_NAME, DEFAULT_REQUEST_SOURCE, DETAIL_TYPES } from '#contracts/names.ts';
import type { StagingDestination } from './destination.ts';
import { AssetChannelError } from './errors.ts';
import type { TemplateFile } from './template-files.ts';

/** What was written: one key per file. */
export interface StagedObject {
  readonly key: string;
  readonly bytes: number;
}

/** Writes every file under the destination, all at once. */
export async function stageFiles(
  s3: S3Client,
  destination: StagingDestination,
  files: readonly TemplateFile[],
): Promise<StagedObject[]> {
  return Promise.all(
    files.map(async function putOne(file): Promise<StagedObject> {
      const key = `${destination.prefix}${file.path}`;
      await s3.send(new PutObjectCommand({ Bucket: destination.bucket, Key: key, Body: file.content }));
      return { key, bytes: file.content.length };
    }),
  );
}

/** Options of {@link publishStaged}. */
export interface PublishStagedOptions {
  /** @default 'platform.workspace-server' (a request source: the only ones the rule accepts) */
  readonly source?: string;
  /** @default 'workspaces' */
  readonly eventBusName?: string;
}

/**
 * Publishes `Workspace Template Assets Staged` {requestId, workspaceId}.
 *
 * @throws AssetChannelError when PutEvents refuses the entry.
 */
export async function publishStaged(
  events: EventBridgeClient,
  detail: { readonly requestId: string; readonly workspaceId: string },
  options: PublishStagedOptions = {},
): Promise<string> {
  const response = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: options.source ?? DEFAULT_REQUEST_SOURCE,
          DetailType: DETAIL_TYPES.templateAssetsStaged,
          Detail: JSON.stringify({ requestId: detail.requestId, workspaceId: detail.workspaceId }),
          EventBusName: options.eventBusName ?? DEFAULT_EVENT_BUS_NAME,
        },
      ],
    }),
  );
  const entry = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new AssetChannelError(
      `PutEvents refused ${DETAIL_TYPES.templateAssetsStaged}: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`,
    );
  }
  return entry.EventId;
}
