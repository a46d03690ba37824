import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLogReadError, LOCAL_CREDENTIALS, localClientConfig, readEventPage } from '#local/clients.ts';

describe('localClientConfig', () => {
  it('pins endpoint, region and dummy credentials, and signs unless told not to', () => {
    const config = localClientConfig('http://127.0.0.1:4010', 'eu-west-1');
    expect(config).toMatchObject({
      endpoint: 'http://127.0.0.1:4010',
      region: 'eu-west-1',
      credentials: LOCAL_CREDENTIALS,
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
    });
    expect(config).not.toHaveProperty('signer');
    expect(config).not.toHaveProperty('maxAttempts');
  });

  it('passes the handlers’ unsigned, bounded settings through', () => {
    const config = localClientConfig('http://127.0.0.1:1', 'us-east-1', {
      unsigned: true,
      maxAttempts: 3,
      timeouts: { connectionMs: 5_000, requestMs: 30_000 },
    });
    expect(config).toMatchObject({ maxAttempts: 3, retryMode: 'standard' });
    expect(config.requestHandler).toEqual({ connectionTimeout: 5_000, requestTimeout: 30_000 });
    expect(config).toHaveProperty('signer');
  });
});

describe('readEventPage', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve(status: number, body: unknown): Promise<{ url: string; seen: string[] }> {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.url ?? '');
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => server.close();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  it('reads one page with the query it is given', async () => {
    const { url, seen } = await serve(200, { events: [{ id: 'e-1' }], lastSeq: 7 });
    const page = await readEventPage(url, { detailType: 'Workspace Running', after: 3, limit: 50 });
    expect(page).toEqual({ events: [{ id: 'e-1' }], lastSeq: 7 });
    expect(seen).toEqual(['/local/events?detail-type=Workspace+Running&after=3&limit=50']);
  });

  it('throws EventLogReadError with the status of an error answer', async () => {
    const { url } = await serve(503, {});
    const failure = await readEventPage(url).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EventLogReadError);
    expect((failure as EventLogReadError).status).toBe(503);
  });
});
