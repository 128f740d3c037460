import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/processes.js';
import { type InspectorServer, KEYS, launchChromium, screenshot, startServer } from './harness.js';

/** A branch (switch → express | standard) and a join, with a slow node to watch run. */
const ORDERS = {
  id: 'orders',
  name: 'Orders: branch and join',
  nodes: [
    { id: 'receive', type: 'noop', outputs: ['route'] },
    {
      id: 'route',
      type: 'switch',
      config: { path: 'input.kind', cases: { express: ['express'], standard: ['standard'] } },
      outputs: ['express', 'standard'],
    },
    { id: 'express', type: 'slow', config: { ms: 2500 }, outputs: ['join'] },
    { id: 'standard', type: 'slow', config: { ms: 10 }, outputs: ['join'] },
    { id: 'join', type: 'noop', outputs: ['ship'] },
    { id: 'ship', type: 'noop' },
  ],
};
/** Runs long enough to be cancelled from the page. */
const LONG = {
  id: 'long',
  name: 'Long',
  nodes: [{ id: 'wait', type: 'slow', config: { ms: 120_000 } }],
};
/**
 * Waits for a person's signal. `ask` takes a while, so a page opened at once explains
 * `approve` as waiting for its parent first; its wait starts later without a new
 * execution version (node statuses do not bump it).
 */
const APPROVAL = {
  id: 'approval',
  name: 'Approval',
  nodes: [
    { id: 'ask', type: 'slow', config: { ms: 1500 }, outputs: ['approve'] },
    { id: 'approve', type: 'wait-for-signal', config: { name: 'approved' }, outputs: ['done'] },
    { id: 'done', type: 'noop' },
  ],
};
/** Fails once, so its node lands in the DLQ; a retry succeeds. */
const FLAKY = {
  id: 'flaky',
  name: 'Flaky',
  nodes: [{ id: 'charge', type: 'flaky', retry: { attempts: 1 } }],
};

const TIMEOUT = 20_000;

async function signIn(page: Page, server: InspectorServer, key: string): Promise<void> {
  await page.goto(`${server.url}/ui/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: TIMEOUT });
}

function node(page: Page, id: string, status: string) {
  return page.locator(`svg.dag [data-node-id="${id}"][data-status="${status}"]`);
}

describe.each(['memory', 'postgres'] as const)('the inspector in Chromium (%s store)', (store) => {
  let server: InspectorServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the page asked for: none may leave the server's origin. */
  const requested: string[] = [];

  beforeAll(async () => {
    server = await startServer(store);
    for (const wf of [ORDERS, LONG, FLAKY, APPROVAL])
      await server.api('POST', '/api/workflows', wf);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 850 } });
    context.on('request', (r) => requested.push(r.url()));
    page = await context.newPage();
    await signIn(page, server, KEYS.admin);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with an API key kept in sessionStorage; a wrong key is refused', async () => {
    const fresh = await context.newPage(); // sessionStorage is per tab: this one has no key
    await fresh.goto(`${server.url}/ui/`);
    await fresh.getByLabel('API key').fill('not-a-key-of-this-server-01');
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await expect(fresh.getByRole('alert').textContent({ timeout: TIMEOUT })).resolves.toContain(
      '401',
    );
    await signIn(fresh, server, KEYS.admin);
    expect(await fresh.evaluate('sessionStorage.getItem("spane.apiKey")')).toBe(KEYS.admin);
    await screenshot(fresh, `${store}-00-workflows`);
    await fresh.close();
  });

  it('draws a workflow as a DAG and starts it; nodes turn completed and skipped live', async () => {
    await page.goto(`${server.url}/ui/#/workflows`);
    await page.getByRole('link', { name: 'orders', exact: true }).click();
    await page.locator('svg.dag [data-node-id="join"]').waitFor({ timeout: TIMEOUT });
    expect(await page.locator('svg.dag [data-node-id]').count()).toBe(6);
    await screenshot(page, `${store}-01-workflow`);
    await page.getByLabel('Initial data (JSON)').fill('{ "kind": "express", "order": 42 }');
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.waitForURL(/#\/executions\/[^/?]+$/, { timeout: TIMEOUT });
    await node(page, 'express', 'running').waitFor({ timeout: TIMEOUT });
    await expect(page.getByText('● live').isVisible()).resolves.toBe(true);
    await screenshot(page, `${store}-02-run-live`);
    await node(page, 'standard', 'skipped').waitFor({ timeout: TIMEOUT });
    await node(page, 'ship', 'completed').waitFor({ timeout: TIMEOUT });
    for (const id of ['receive', 'route', 'express', 'join']) {
      expect(await node(page, id, 'completed').count(), id).toBe(1);
    }
    await page.locator('.page-head .badge[data-status="completed"]').waitFor({ timeout: TIMEOUT });
    await screenshot(page, `${store}-03-run-completed`);
  });

  it("opens a node's input, output, logs and spans in the side panel", async () => {
    await page.locator('svg.dag [data-node-id="express"]').click();
    const output = page.getByRole('region', { name: 'Output of express' });
    await expect(output.textContent({ timeout: TIMEOUT })).resolves.toContain('"waited": 2500');
    const input = await page.getByRole('region', { name: 'Input of express' }).textContent();
    expect(input).toContain('"order": 42');
    await page
      .getByRole('list', { name: 'Logs of express' })
      .getByText('waited 2500 ms')
      .waitFor({ timeout: TIMEOUT });
    const spans = page.getByRole('table', { name: 'Spans of express' }).locator('tbody tr');
    await spans.first().waitFor({ timeout: TIMEOUT }); // a store may write spans after the state
    expect(await spans.count()).toBe(1);
    await page.locator('svg.dag [data-node-id="standard"]').click();
    await page.getByText("not selected by a parent's branch").waitFor({ timeout: TIMEOUT });
    await screenshot(page, `${store}-04-node-panel`);
  });

  it('replays a run from a node', async () => {
    const { items } = await server.api('GET', '/api/executions?workflowId=orders');
    await page.goto(`${server.url}/ui/#/executions/${items[0].executionId}?node=express`);
    const before = page.url();
    await page.getByRole('button', { name: 'Replay from express' }).click();
    await page.waitForURL((u) => u.href !== before && /#\/executions\/[^/?]+$/.test(u.hash), {
      timeout: TIMEOUT,
    });
    await node(page, 'ship', 'completed').waitFor({ timeout: TIMEOUT });
    await page.locator('.page-head .badge[data-status="completed"]').waitFor({ timeout: TIMEOUT });
  });

  it('explains a waiting node and completes it with a signal sent from the page', async () => {
    const { executionId } = await server.api('POST', '/api/workflows/approval/execute', {});
    await page.goto(`${server.url}/ui/#/executions/${executionId}?node=approve`);
    await page.locator('.explain[data-reason="waiting-for-parents"]').waitFor({ timeout: TIMEOUT });
    await node(page, 'approve', 'delayed').waitFor({ timeout: TIMEOUT });
    const why = page.locator('.explain[data-reason="waiting-for-signal"]');
    await expect(why.textContent({ timeout: TIMEOUT })).resolves.toContain('approved');
    await page.getByLabel('Payload (JSON)').fill('{ "by": "ada" }');
    await page.getByRole('button', { name: 'Send signal' }).click();
    await node(page, 'done', 'completed').waitFor({ timeout: TIMEOUT });
    const output = page.getByRole('region', { name: 'Output of approve' });
    await expect(output.textContent({ timeout: TIMEOUT })).resolves.toContain('"by": "ada"');
    await screenshot(page, `${store}-05-signal`);
  });

  it('pauses, resumes and cancels a second run from its page', async () => {
    const { executionId } = await server.api('POST', '/api/workflows/long/execute', {});
    await page.goto(`${server.url}/ui/#/executions/${executionId}`);
    await node(page, 'wait', 'running').waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.page-head .badge[data-status="paused"]').waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.page-head .badge[data-status="running"]').waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Cancel execution' }).click();
    await page.getByRole('button', { name: 'Confirm cancel' }).click();
    await page.locator('.page-head .badge[data-status="cancelled"]').waitFor({ timeout: TIMEOUT });
    await node(page, 'wait', 'cancelled').waitFor({ timeout: TIMEOUT });
    const state = await server.api('GET', `/api/executions/${executionId}`);
    expect(state.status).toBe('cancelled');
    await screenshot(page, `${store}-06-cancelled`);
  });

  it('retries a DLQ item from the queues page and the run completes', async () => {
    const { executionId } = await server.api('POST', '/api/workflows/flaky/execute', {});
    await waitFor('the DLQ item', TIMEOUT, async () => {
      const { items } = await server.api('GET', '/api/dlq');
      return items.find((i: { executionId: string }) => i.executionId === executionId);
    });
    await page.getByRole('link', { name: 'Queues & DLQ' }).click();
    const retry = page.getByRole('button', { name: `Retry charge of ${executionId}` });
    await retry.waitFor({ timeout: TIMEOUT });
    await screenshot(page, `${store}-07-dlq`);
    await retry.click();
    await waitFor('the retried run to complete', TIMEOUT, async () => {
      const state = await server.api('GET', `/api/executions/${executionId}`);
      return state.status === 'completed' ? state : undefined;
    });
    await page.goto(`${server.url}/ui/#/executions/${executionId}`);
    await node(page, 'charge', 'completed').waitFor({ timeout: TIMEOUT });
  });

  it('lists executions filtered by workflow and status', async () => {
    await page.goto(`${server.url}/ui/#/executions?workflowId=orders&status=completed`);
    const rows = page.getByRole('table', { name: 'Executions' }).locator('tbody tr');
    await rows.first().waitFor({ timeout: TIMEOUT });
    expect(await rows.count()).toBe(2); // the run and its replay
    await page.goto(
      `${server.url}/ui/#/executions?workflowId=orders&createdAfter=2999-01-01T00:00`,
    );
    await page.getByText('No executions match.').waitFor({ timeout: TIMEOUT });
    await page.goto(`${server.url}/ui/#/executions?status=cancelled`);
    await page
      .getByRole('table', { name: 'Executions' })
      .getByText('long')
      .first()
      .waitFor({ timeout: TIMEOUT });
  });

  it('shows a read key everything but no actions', async () => {
    const readPage = await context.newPage();
    await signIn(readPage, server, KEYS.read);
    const { items } = await server.api('GET', '/api/executions?workflowId=long');
    await readPage.goto(`${server.url}/ui/#/executions/${items[0].executionId}`);
    await readPage.locator('svg.dag [data-node-id="wait"]').waitFor({ timeout: TIMEOUT });
    expect(await readPage.getByRole('toolbar', { name: 'Execution actions' }).count()).toBe(0);
    await readPage.close();
  });

  it('fits a narrow window without sideways scrolling of the page', async () => {
    const narrow = await context.newPage();
    await narrow.setViewportSize({ width: 390, height: 844 });
    await signIn(narrow, server, KEYS.admin); // sessionStorage is per tab
    const { items } = await server.api('GET', '/api/executions?workflowId=orders');
    await narrow.goto(`${server.url}/ui/#/executions/${items[0].executionId}?node=express`);
    await narrow.locator('svg.dag [data-node-id="express"]').waitFor({ timeout: TIMEOUT });
    const overflow = await narrow.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(narrow, `${store}-08-narrow`);
    await narrow.close();
  });

  it('asked for nothing outside the server', () => {
    const origin = new URL(server.url).origin;
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
  });
});
