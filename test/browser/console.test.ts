/**
 * The local console in a real browser (issue 15): headless Chromium driven by playwright-core
 * against a real local stack serving `/console`. The walk-through of both kinds from the form to
 * Running, a rejected form with the CLI's own messages, a crash and the recovery shown live, a
 * redrive, and an event whose fields hold HTML and control characters shown as text. The pages'
 * screenshots go to docs/console/ for the README.
 */
import { rmSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { ContractViolationError } from '#local/cli/errors.ts';
import { provisionEntry } from '#local/cli/requests.ts';
import { consoleRoutes } from '#local/console/index.ts';
import type { EventEnvelope } from '#local/interfaces.ts';
import { type LocalStack, startLocalStack, waitForEvents } from '#local/stack.ts';
import {
  CREDENTIALS,
  hasAll,
  provisionRequest,
  publishDeprovision,
  publishProvision,
  tempStateDir,
  uniqueId,
} from '../integration/helpers.ts';
import { chromiumFor, launchChromium, screenshot } from './chromium.ts';

const chromiumProbe = chromiumFor('test/browser/console.test.ts');
const UI_TIMEOUT = 30_000;

describe.skipIf(!chromiumProbe.executablePath)('the local console in Chromium', () => {
  let browser: Browser;
  const cleanups: Array<() => Promise<void> | void> = [];
  /** What the page reported as broken: uncaught errors, console errors (CSP violations among them). */
  let pageProblems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(chromiumProbe.executablePath as string);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(() => {
    pageProblems = [];
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function stackWith(
    options: Partial<Parameters<typeof startLocalStack>[0]> = {},
  ): Promise<LocalStack> {
    const stateDir = options.stateDir ?? tempStateDir();
    const stack = await startLocalStack({
      port: 0,
      driver: 'simulated',
      quiet: true,
      mountRoutes: consoleRoutes,
      ...options,
      stateDir,
    });
    cleanups.push(async () => {
      await stack.stop();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    });
    return stack;
  }

  async function openPage(url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // A workspace with no record yet is a 404 of its record, which Chromium logs; nothing else is.
      // A rejected form is the check's 400, which Chromium logs too.
      const url = message.location().url;
      const expected =
        (/\/local\/workspaces\/[^/]+$/.test(url) && message.text().includes('404')) ||
        (url.endsWith('/local/requests/check') && message.text().includes('400'));
      if (message.type() === 'error' && !expected)
        pageProblems.push(`console: ${message.text()} (${message.location().url})`);
    });
    await page.goto(url);
    return page;
  }

  function eventsClient(stack: LocalStack): EventBridgeClient {
    const client = new EventBridgeClient({
      endpoint: stack.url,
      region: stack.region,
      credentials: CREDENTIALS,
    });
    cleanups.push(() => client.destroy());
    return client;
  }

  /** Waits until the workspace page says `running`. */
  const untilRunning = (page: Page) =>
    page.locator('#workspace-state', { hasText: /^running$/ }).waitFor({ timeout: UI_TIMEOUT });

  /** Fills the provision form and submits it. */
  async function provisionThroughForm(page: Page, fields: Record<string, string>): Promise<void> {
    await page.goto(`${new URL(page.url()).origin}/console#/new`);
    for (const [flag, value] of Object.entries(fields)) {
      const selector = `#field-${flag}`;
      if (flag === 'kind') await page.selectOption(selector, value);
      else await page.fill(selector, value);
    }
    await page.click('#provision');
  }

  it('walks both kinds from the form to Running, with the record, tasks, overlay, timeline and flow', async () => {
    const stack = await stackWith({ driver: 'process' });
    const page = await openPage(`${stack.url}/console`);
    await page.waitForSelector('#workspaces');
    const kinds = [
      { kind: 'workspace', runtime: 'codex', workspaceId: uniqueId('console-ws') },
      { kind: 'platform', runtime: 'claude-code', workspaceId: uniqueId('console-pl') },
    ];
    for (const { kind, runtime, workspaceId } of kinds) {
      await provisionThroughForm(page, { 'workspace-id': workspaceId, runtime, kind });
      // The page moves to the workspace and follows it live until Running.
      await page.waitForURL(`**/console#/workspaces/${workspaceId}`);
      await untilRunning(page);
      const types = await page.$$eval('#timeline li', (items) =>
        items.map((item) => item.getAttribute('data-type')),
      );
      expect(types[0]).toBe(DETAIL_TYPES.provisionRequested);
      expect(types).toContain(DETAIL_TYPES.taskLaunched);
      expect(types).toContain(DETAIL_TYPES.configOverlayApplied);
      expect(types).toContain(DETAIL_TYPES.running);
      expect(await page.textContent('#record')).toContain(kind);
      expect(await page.$$eval('#tasks tbody tr', (rows) => rows.length)).toBe(1);
      expect(await page.$$eval('#overlay-files li', (items) => items.length)).toBeGreaterThan(0);
      if (kind === 'workspace') await screenshot(page, 'workspace');
    }

    // The list shows both, running, with their kind and an address.
    await page.goto(`${stack.url}/console#/`);
    for (const { kind, workspaceId } of kinds) {
      const row = page.locator(`#workspaces tr[data-workspace="${workspaceId}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-state')).toBe('running');
      expect(await row.textContent()).toContain(kind);
      expect(await row.textContent()).toMatch(/http:\/\/127\.0\.0\.1:\d+/);
    }
    await page.fill('#filter', 'platform');
    await expect
      .poll(() => page.locator('#workspaces tbody tr[data-workspace]').count(), { timeout: UI_TIMEOUT })
      .toBe(1);
    await page.fill('#filter', '');
    await expect
      .poll(() => page.locator('#workspaces tbody tr[data-workspace]').count(), { timeout: UI_TIMEOUT })
      .toBe(2);
    await screenshot(page, 'workspaces');

    // The list follows the store by itself: a request published elsewhere shows up, then runs.
    const elsewhere = uniqueId('console-live');
    await publishProvision(eventsClient(stack), provisionRequest(elsewhere));
    const live = page.locator(`#workspaces tr[data-workspace="${elsewhere}"][data-state="running"]`);
    await live.waitFor();

    // The request's flow: each event, its rule, the function invocation and its outcome.
    await page.goto(`${stack.url}/console#/workspaces/${kinds[0]?.workspaceId}`);
    await page.click('#record a');
    await page.waitForSelector('#flow .box.invocation[data-outcome="succeeded"]');
    const flowText = await page.textContent('#flow');
    expect(flowText).toContain('ProvisionRequested');
    expect(await page.locator('#flow .box.invocation .title').allTextContents()).toContain('provision');
    expect(flowText).toMatch(/1 attempt · [\d.]+ (ms|s) · succeeded/);
    await screenshot(page, 'flow');
    expect(pageProblems).toEqual([]);
  }, 90_000);

  it('refuses a request that breaks the contract, naming each field as the CLI does, and sends nothing', async () => {
    const stack = await stackWith();
    const page = await openPage(`${stack.url}/console#/new`);
    await page.waitForSelector('#provision-form');
    const fields = { 'workspace-id': 'not <a> valid id', runtime: 'codex', tier: '9', secrets: 'platform' };
    await provisionThroughForm(page, fields);
    await page.waitForSelector('#error-workspace-id div');

    let cliError: ContractViolationError | undefined;
    try {
      provisionEntry({ ...fields, 'org-id': 'org-1' });
    } catch (error) {
      cliError = error as ContractViolationError;
    }
    expect(cliError).toBeInstanceOf(ContractViolationError);
    expect(await page.textContent('#form-error pre')).toBe(cliError?.message);
    for (const problem of cliError?.problems ?? []) {
      expect(await page.textContent(`#error-${problem.flag.slice(2)}`)).toContain(problem.message);
      expect(await page.getAttribute(`#field-${problem.flag.slice(2)}`, 'aria-invalid')).toBe('true');
    }
    expect(cliError?.problems.map((problem) => problem.flag).sort()).toEqual([
      '--secrets',
      '--tier',
      '--workspace-id',
    ]);
    // The field's text stays text: no anchor element came from it.
    expect(await page.$$eval('#provision-form a', (anchors) => anchors.length)).toBe(0);
    expect(page.url()).toMatch(/#\/new$/);
    const log = (await (await fetch(`${stack.url}/local/events`)).json()) as { events: unknown[] };
    expect(log.events).toEqual([]);
    await screenshot(page, 'rejected-form');
    expect(pageProblems).toEqual([]);
  }, 60_000);

  it('shows a crash and the recovery live, then a restart and a deprovision with erase, from the page', async () => {
    const stack = await stackWith({ driver: 'process', recoveryBackoffSeconds: 0 });
    const page = await openPage(`${stack.url}/console`);
    const workspaceId = uniqueId('console-crash');
    await provisionThroughForm(page, { 'workspace-id': workspaceId });
    await untilRunning(page);
    await page.click('#crash');
    await page.locator('#action-result.ok').waitFor();
    // The same page, never reloaded, follows the crash and the relaunch.
    await page.waitForSelector(`#timeline li[data-type="${DETAIL_TYPES.stopped}"]`);
    await page.waitForSelector(`#timeline li[data-type="${DETAIL_TYPES.recovering}"]`);
    await expect
      .poll(() => page.locator(`#timeline li[data-type="${DETAIL_TYPES.running}"]`).count(), {
        timeout: UI_TIMEOUT,
      })
      .toBe(2);
    await untilRunning(page);
    const tasks = await page.$$eval('#tasks tbody tr', (rows) => rows.map((row) => row.textContent ?? ''));
    expect(tasks).toHaveLength(2);
    expect(tasks.filter((task) => /crashed · exit 3/.test(task))).toHaveLength(1);
    expect(await page.textContent('#timeline')).toContain('cause=crashed');
    await screenshot(page, 'crash-recovery');

    // Restart, then deprovision with erase, from the same page: both published with PutEvents.
    await page.click('#restart');
    await page.locator('#action-result.ok', { hasText: 'Restart requested' }).waitFor();
    await expect
      .poll(() => page.locator(`#timeline li[data-type="${DETAIL_TYPES.running}"]`).count(), {
        timeout: UI_TIMEOUT,
      })
      .toBe(3);
    await page.check('#erase');
    await page.click('#deprovision');
    await page.locator('#action-result.ok', { hasText: 'Deprovision requested with erase' }).waitFor();
    await page.locator(`#timeline li[data-type="${DETAIL_TYPES.deprovisioned}"]`).waitFor();
    await page.locator('#workspace-state', { hasText: /^deprovisioned$/ }).waitFor();
    const requested = await page
      .locator(`#timeline li[data-type="${DETAIL_TYPES.deprovisionRequested}"]`)
      .textContent();
    expect(requested).toContain('platform.workspace-server');
    // Opened by its type, not the middle of the line, where the request's link is.
    await page
      .locator(`#timeline li[data-type="${DETAIL_TYPES.deprovisionRequested}"] summary .type`)
      .click();
    expect(
      JSON.parse(
        (await page
          .locator(`#timeline li[data-type="${DETAIL_TYPES.deprovisionRequested}"] pre`)
          .textContent()) ?? '{}',
      ),
    ).toMatchObject({ workspaceId, erase: true });
    expect(pageProblems).toEqual([]);
  }, 90_000);

  it('lists a dead-lettered deprovision and redrives it to Workspace Deprovisioned', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const workspaceId = uniqueId('console-dlq');
    // A stack whose deprovision function fails on every attempt: the request dead-letters.
    const faulty = await startLocalStack({
      port: 0,
      driver: 'simulated',
      quiet: true,
      stateDir,
      retryDelayScale: 1 / 6000,
      faults: { functionErrors: ['deprovision'] },
    });
    try {
      await publishDeprovision(eventsClient(faulty), workspaceId);
      await waitForEvents(faulty.url, hasAll(workspaceId, DETAIL_TYPES.deprovisionFailed), 15_000);
    } finally {
      await faulty.stop();
    }
    // The same state without the fault, with the console.
    const stack = await stackWith({ stateDir });
    const page = await openPage(`${stack.url}/console#/dead-letters`);
    const queue = page.locator('section.queue[data-queue="WorkspaceProvisioner-deprovision-dlq"]');
    await queue.locator(`tr[data-message]`).first().waitFor();
    expect(await queue.locator('tr[data-message]').count()).toBe(1);
    const row = await queue.locator('tr[data-message]').textContent();
    expect(row).toContain(DETAIL_TYPES.deprovisionRequested);
    expect(row).toContain(workspaceId);
    expect(row).toContain('injected fault');
    await screenshot(page, 'dead-letters');

    // The request's flow shows where it failed: the deprovision invocation, every attempt spent.
    const flowPage = await openPage(`${stack.url}/console#/requests/dereq-${workspaceId}`);
    const failed = flowPage.locator('#flow .box.invocation.failed');
    await failed.waitFor();
    expect(await failed.locator('.title').textContent()).toBe('deprovision');
    expect(await failed.textContent()).toMatch(/3 attempts · [\d.]+ (ms|s) · failed/);
    expect(await failed.locator('.error-text').textContent()).toContain('injected fault');
    await screenshot(flowPage, 'flow-failure');

    await queue.locator('button.redrive').click();
    await queue.locator('.notice.ok').waitFor();
    expect(await queue.locator('.notice').textContent()).toBe(
      'Redrove 1 message(s) to WorkspaceProvisioner-deprovision.',
    );
    await expect.poll(() => queue.locator('tr[data-message]').count(), { timeout: UI_TIMEOUT }).toBe(0);
    await waitForEvents(stack.url, hasAll(workspaceId, DETAIL_TYPES.deprovisioned), 15_000);
    // The flow now shows the redrive: a Lambda Invoke of deprovision that succeeded.
    await flowPage.reload();
    await flowPage.locator('#flow .flow-row.invoked .box.invocation[data-outcome="succeeded"]').waitFor();
    expect(await flowPage.locator('#flow .flow-row.invoked .title').allTextContents()).toEqual([
      'Lambda Invoke',
      'deprovision',
    ]);
    expect(pageProblems).toEqual([]);
  }, 90_000);

  it('shows an event whose fields hold HTML and control characters as text, injecting nothing', async () => {
    const stack = await stackWith();
    const workspaceId = uniqueId('console-xss');
    const hostile =
      '<img src=x id=injected-img onerror="window.__pwned=1"><script id=injected-script>window.__pwned=2</script>';
    const control = '\u001b[31mred\u0007bell\u202eevil';
    const detailType = 'Upstream Note <b id=injected-b>bold</b>';
    const answer = await eventsClient(stack).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'platform.upstream-test',
            DetailType: detailType,
            Detail: JSON.stringify({ workspaceId, reason: `${hostile}${control}`, note: hostile }),
            EventBusName: 'workspaces',
          },
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    const page = await openPage(`${stack.url}/console#/workspaces/${workspaceId}`);
    const item = page.locator('#timeline li').first();
    await item.waitFor();
    expect(await item.getAttribute('data-type')).toBe(detailType);
    expect(await item.locator('.type').textContent()).toBe(detailType);
    const gist = (await item.locator('.gist').textContent()) ?? '';
    expect(gist).toContain(hostile);
    // Control characters are shown as escapes, never sent to the screen raw.
    expect(gist).toContain('\\u001b[31mred\\u0007bell\\u202eevil');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control character may reach the page
    expect(gist).not.toMatch(/[\u0000-\u001f\u202e]/);
    await item.locator('summary').click();
    expect(await item.locator('pre').textContent()).toContain(JSON.stringify(hostile).slice(1, -1));
    // Nothing of it became an element, and no script ran.
    const injected = await page.evaluate(`({
      elements: document.querySelectorAll(
        '#injected-img, #injected-script, #injected-b, #timeline img, #timeline script, #timeline b',
      ).length,
      pwned: window.__pwned ?? null,
    })`);
    expect(injected).toEqual({ elements: 0, pwned: null });
    expect(pageProblems).toEqual([]);
  }, 60_000);

  it("shows a workspace's data snapshots and overlay from the provisioner's events only", async () => {
    const stack = await stackWith();
    const workspaceId = uniqueId('console-data');
    const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/0123456789abcdef';
    const provisioner = (detailType: string, detail: Record<string, unknown>): EventEnvelope => ({
      version: '0',
      id: `${detailType}-${workspaceId}`,
      'detail-type': detailType,
      source: 'platform.provisioner',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail,
    });
    // The provisioner's source is reserved to its functions on PutEvents: these go on the bus itself.
    stack.bus.accept('workspaces', [
      provisioner(DETAIL_TYPES.configOverlayApplied, {
        requestId: `req-${workspaceId}`,
        workspaceId,
        kind: 'platform',
        runtime: 'claude-code',
        taskArn,
        overlay: {},
        files: ['config.yaml', 'prompts/concierge.md'],
        secrets: ['org', 'platform'],
      }),
      provisioner(DETAIL_TYPES.dataSaved, { workspaceId, snapshotId: 'snap-0a1b2c3d', sizeGiB: 20, taskArn }),
    ]);
    // The same detail-type from anyone else is shown in the timeline, never taken as a snapshot.
    await eventsClient(stack).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'platform.upstream-test',
            DetailType: DETAIL_TYPES.dataSaved,
            Detail: JSON.stringify({ workspaceId, snapshotId: 'snap-forged', sizeGiB: 1, taskArn }),
            EventBusName: 'workspaces',
          },
        ],
      }),
    );
    const page = await openPage(`${stack.url}/console#/workspaces/${workspaceId}`);
    await expect.poll(() => page.locator('#timeline li').count(), { timeout: UI_TIMEOUT }).toBe(3);
    await page.locator('#snapshots td', { hasText: 'snap-0a1b2c3d' }).waitFor();
    expect(await page.locator('#snapshots tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/^snap-0a1b2c3d20 GiB0123456789ab/),
    ]);
    expect(await page.locator('#overlay-files li').allTextContents()).toEqual([
      'config.yaml',
      'prompts/concierge.md',
    ]);
    expect(await page.locator('#overlay-secrets li').allTextContents()).toEqual(['org', 'platform']);
    expect(pageProblems).toEqual([]);
  }, 60_000);
});
