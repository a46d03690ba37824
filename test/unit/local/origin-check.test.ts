/**
 * The endpoint refuses state-changing requests a page of another site sends (issue 15): browsers
 * put `Origin` on a cross-origin POST, so a 403 there keeps a web page from driving the stack,
 * while the CLI and the SDKs, which send no `Origin`, and the console's own pages keep working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { createLocalServer, type LocalServer } from '#local/wire/index.ts';

const PUT_EVENTS = {
  Entries: [
    { Source: 'platform.workspace-server', DetailType: 'Probe', Detail: '{}', EventBusName: 'workspaces' },
  ],
};

describe('requests from another origin', () => {
  const servers: LocalServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  async function start() {
    const database = openDatabase(IN_MEMORY);
    const bus = createEventBus(database);
    const eventBridge = createEventBridgeEmulator({ bus });
    const unused = () => {
      throw new Error('not called');
    };
    const ecs = { runTask: unused, stopTask: unused, describeTasks: unused, listTasks: unused };
    const server = await createLocalServer({ port: 0, eventBridge, ecs, bus, ready: () => true });
    servers.push(server);
    const putEvents = (headers: Record<string, string>) =>
      fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
          ...headers,
        },
        body: JSON.stringify(PUT_EVENTS),
      });
    const accepted = async () => bus.list({}).length;
    return { server, putEvents, accepted };
  }

  it.each([
    ['another site', 'https://evil.example'],
    ['another loopback port', 'http://127.0.0.1:1'],
    ['an opaque origin (sandboxed frame, file://)', 'null'],
  ])('refuses a POST from %s with 403 and accepts nothing', async (_name, origin) => {
    const { putEvents, accepted } = await start();
    const response = await putEvents({ origin });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      message: 'State-changing requests from another origin are refused.',
    });
    expect(await accepted()).toBe(0);
  });

  it('accepts a POST without Origin (CLI, SDK) and from its own origin (the console)', async () => {
    const { server, putEvents, accepted } = await start();
    expect((await putEvents({})).status).toBe(200);
    expect((await putEvents({ origin: server.url })).status).toBe(200);
    expect((await putEvents({ origin: `http://localhost:${server.port}` })).status).toBe(200);
    expect(await accepted()).toBe(3);
  });

  it('answers reads from any origin: GET changes nothing', async () => {
    const { server } = await start();
    const response = await fetch(`${server.url}/local/health`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(response.status).toBe(200);
  });
});
