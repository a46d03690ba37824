/**
 * A stand-in for upstream's template asset channel, clearly apart from the provisioner: it hears
 * `Workspace Template Assets Requested` through its own rule on the bus, stages the template's files
 * from `config/templates/<template>/` under the request's `destination` with the real S3 client, and
 * publishes `Workspace Template Assets Staged` with the real EventBridge client, both against the
 * stack's public endpoint. It holds no key to the provisioner's internals: what it may do, any
 * upstream team's channel may do.
 *
 * An unknown template stages nothing and publishes nothing (the request then ends in
 * `TEMPLATE_ASSETS_TIMEOUT`, as a real missing template does), and says so in the stack's log.
 */
import { Agent } from 'node:http';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { localClientConfig, localS3ClientConfig, readEventPage } from '#local/clients.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { type AssetsRequest, readAssetsRequest } from './assets-request.ts';
import { UnknownTemplateError } from './errors.ts';
import { publishStaged, stageFiles } from './stage-files.ts';
import { readTemplateFiles, TEMPLATES_DIR, templateDirectory } from './template-files.ts';

/** Options of {@link createAssetChannel}. */
export interface AssetChannelOptions {
  /** The stack's endpoint, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly region: string;
  /** Where templates are read from. @default config/templates/ */
  readonly templatesDir?: string;
  /** @default 'workspaces' */
  readonly eventBusName?: string;
  /** Receives one line per request answered or left unanswered. @default none */
  readonly log?: (line: string) => void;
}

/** What a running channel offers the stack. */
export interface AssetChannel {
  /** Answers one request event in the background; problems are logged, never thrown. */
  deliver(envelope: EventEnvelope): void;
  /**
   * Answers the requests in the stack's event log (`GET /local/events`) that have no Staged yet:
   * a delivery cut short by a crash or a stop would otherwise leave its request waiting until the
   * template assets timeout. Runs in the background, once the stack is ready.
   */
  recover(): void;
  /** Waits for the answers in flight, then closes the clients. */
  close(): Promise<void>;
}

/** Starts the stand-in: two SDK clients on one keep-alive agent, nothing else. */
export function createAssetChannel(options: AssetChannelOptions): AssetChannel {
  const log = options.log ?? (() => {});
  const templatesDir = options.templatesDir ?? TEMPLATES_DIR;
  const httpAgent = new Agent({ keepAlive: true });
  // Signed, as an upstream team's clients are (the stack's own handlers skip SigV4; the gain
  // measured here was about 2 ms of a platform request's 50, not worth departing from upstream).
  const settings = { httpAgent };
  const s3 = new S3Client(localS3ClientConfig(options.url, options.region, settings));
  const events = new EventBridgeClient(localClientConfig(options.url, options.region, settings));
  const inFlight = new Set<Promise<void>>();

  async function answer(request: AssetsRequest): Promise<void> {
    const files = await readTemplateFiles(await templateDirectory(request.template, templatesDir));
    const staged = await stageFiles(s3, request.destination, files);
    await publishStaged(
      events,
      request,
      options.eventBusName !== undefined ? { eventBusName: options.eventBusName } : {},
    );
    log(
      `asset-channel staged template ${request.template} for ${request.requestId} (${staged.length} file(s)) -> Workspace Template Assets Staged  ${request.workspaceId}`,
    );
  }

  function explain(envelope: EventEnvelope, error: unknown): void {
    const ids = idsOf(envelope.detail);
    if (error instanceof UnknownTemplateError) {
      log(
        `asset-channel unknown template ${JSON.stringify(error.template)} for ${ids}: nothing staged, nothing published (${error.message}); the request will end in TEMPLATE_ASSETS_TIMEOUT`,
      );
      return;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log(`asset-channel could not answer ${ids}: ${message}`);
  }

  function track(running: Promise<void>): void {
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
  }

  function deliver(envelope: EventEnvelope): void {
    track(
      (async function answerOne() {
        await answer(readAssetsRequest(envelope.detail));
      })().catch((error: unknown) => explain(envelope, error)),
    );
  }

  /** Every event of a detail-type in the log, page by page. */
  async function allOf(detailType: string): Promise<EventEnvelope[]> {
    const found: EventEnvelope[] = [];
    let after = 0;
    for (;;) {
      const page = await readEventPage(options.url, { detailType, after });
      found.push(...page.events);
      if (page.events.length === 0 || page.lastSeq === after) return found;
      after = page.lastSeq;
    }
  }

  return {
    deliver,
    recover() {
      track(
        (async function recoverUnanswered() {
          const staged = new Set(
            (await allOf(DETAIL_TYPES.templateAssetsStaged)).map(
              (envelope) => (envelope.detail as { requestId?: unknown } | null)?.requestId,
            ),
          );
          for (const envelope of await allOf(DETAIL_TYPES.templateAssetsRequested)) {
            const requestId = (envelope.detail as { requestId?: unknown } | null)?.requestId;
            if (!staged.has(requestId)) deliver(envelope);
          }
        })().catch((error: unknown) =>
          log(
            `asset-channel could not read the event log to recover: ${error instanceof Error ? error.message : String(error)}`,
          ),
        ),
      );
    },
    async close() {
      await Promise.allSettled([...inFlight]);
      s3.destroy();
      events.destroy();
      httpAgent.destroy();
    },
  };
}

/** `request <id> (workspace <id>)` from a detail, whatever its shape. */
function idsOf(detail: unknown): string {
  const fields = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
  return `request ${String(fields.requestId ?? '?')} (workspace ${String(fields.workspaceId ?? '?')})`;
}
