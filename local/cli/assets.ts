/**
 * `workspaces assets stage`: stage a request's template assets by hand, as upstream's channel would
 * (for teams testing their own channel with `npm start -- --no-asset-channel`, or to stage a
 * different set of files). Finds the request's `Workspace Template Assets Requested` event in the
 * local event log for its destination, writes the files with the S3 client and publishes
 * `Workspace Template Assets Staged` with the EventBridge client.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { requestIdField } from '#contracts/fields.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';
import {
  AssetChannelError,
  type AssetsRequest,
  publishStaged,
  readAssetsRequest,
  readTemplateFiles,
  stageFiles,
  templateDirectory,
} from '#local/asset-channel/index.ts';
import { EventLogReadError, readEventPage } from '#local/clients.ts';
import { safeText } from '#local/wire/safe-text.ts';
import { CliError, StackUnreachableError, UsageError } from './errors.ts';

/** The flags of `assets stage`. */
export interface StageFlags {
  readonly request?: string;
  readonly from?: string;
  readonly template?: string;
  readonly source?: string;
  readonly bus?: string;
}

/** The clients and the endpoint `assets stage` works with. */
export interface StageClients {
  readonly endpoint: string;
  readonly s3: S3Client;
  readonly events: EventBridgeClient;
}

/**
 * The latest `Workspace Template Assets Requested` of a request in the local event log.
 *
 * @throws CliError when there is none; StackUnreachableError when the log cannot be read.
 */
export async function findAssetsRequest(endpoint: string, requestId: string): Promise<AssetsRequest> {
  let found: unknown;
  let after = 0;
  for (;;) {
    let page: Awaited<ReturnType<typeof readEventPage>>;
    try {
      page = await readEventPage(endpoint, { detailType: DETAIL_TYPES.templateAssetsRequested, after });
    } catch (error) {
      if (!(error instanceof EventLogReadError)) throw error;
      throw new StackUnreachableError(`${error.message} (is \`npm start\` running?)`, { cause: error });
    }
    for (const envelope of page.events) {
      if ((envelope.detail as { requestId?: unknown } | null)?.requestId === requestId)
        found = envelope.detail;
    }
    if (page.events.length === 0 || page.lastSeq === after) break;
    after = page.lastSeq;
  }
  if (found === undefined) {
    throw new CliError(
      `no ${DETAIL_TYPES.templateAssetsRequested} for request ${requestId} in the event log of ${endpoint}; ` +
        'only a request whose template is set (by --template or by its kind) asks for assets',
    );
  }
  return readAssetsRequest(found);
}

/** `assets stage`: stages the files and publishes Staged; prints what it wrote, path by path. */
export async function stageAssets(
  clients: StageClients,
  io: { stdout: (line: string) => void },
  values: StageFlags,
) {
  if (values.request === undefined) throw new UsageError('assets stage needs --request ID');
  const parsed = requestIdField.safeParse(values.request);
  if (!parsed.success) throw new UsageError(`--request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (values.from !== undefined && values.template !== undefined) {
    throw new UsageError('give --from DIR or --template NAME, not both');
  }
  const request = await findAssetsRequest(clients.endpoint, parsed.data);
  let directory: string;
  try {
    directory = values.from ?? (await templateDirectory(values.template ?? request.template));
  } catch (error) {
    if (error instanceof AssetChannelError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
  const files = await readTemplateFiles(directory).catch((error: unknown) => {
    throw new CliError(`cannot read ${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  });
  if (files.length === 0) throw new CliError(`${directory} holds no files to stage`);
  const staged = await stageFiles(clients.s3, request.destination, files);
  const destination = `s3://${request.destination.bucket}/${request.destination.prefix}`;
  io.stdout(`staged ${staged.length} file(s) for request ${request.requestId} under ${destination}`);
  for (const file of files) io.stdout(`  ${safeText(file.path)}  ${file.content.length} bytes`);
  const eventId = await publishStaged(clients.events, request, {
    ...(values.source !== undefined ? { source: values.source } : {}),
    ...(values.bus !== undefined ? { eventBusName: values.bus } : {}),
  });
  io.stdout(
    `sent ${DETAIL_TYPES.templateAssetsStaged} for workspace ${request.workspaceId}: event ${eventId}`,
  );
  return 0;
}
