/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): a person submits a calculation,
 * watches it complete, sees the workers; bad input shows the server's message.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startCluster, startWorker, type Cluster } from '../harness/cluster.js';
import { startHostileWorker } from '../harness/hostile-worker.js';
import { startProcess, stopAll, tempDbPath } from '../harness/processes.js';
import { submit, waitDone } from '../harness/rest.js';
import { hashToken } from '../../shared/api-tokens.js';

/** The gateway of the main cluster wants this token for writes (reads stay open). */
const TOKEN = 'dashboard-test-token';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: dashboard browser test needs ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('dashboard', () => {
  let c: Cluster;
  let browser: Browser;
  beforeAll(async () => {
    const tokens = join(mkdtempSync(join(tmpdir(), 'pigrid-dash-')), 'tokens');
    writeFileSync(tokens, `browser ${hashToken(TOKEN)} write\n`);
    c = await startCluster({ workers: 2, coordinatorEnv: { PIGRID_API_TOKENS_FILE: tokens }, gatewayEnv: { PIGRID_API_TOKENS_FILE: tokens } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('asks for the API token when the server wants one', async () => {
    const page = await browser.newPage();
    await page.goto(c.url);
    await page.fill('#points', '2000000000');
    await page.click('#go');
    await page.locator('#submit-error', { hasText: /\S/ }).waitFor();
    expect(await page.locator('#submit-error').textContent()).toMatch(/needs a token: send Authorization: Bearer <token>/);
  });

  it('submits a calculation with a token, follows its progress to the result, and lists the workers', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(c.url);
    await page.fill('#token', TOKEN);
    await page.fill('#points', '2000000000');
    await page.selectOption('#mode', 'distributed');
    await page.fill('#seed', '31415');
    await page.click('#go');
    const result = page.locator('#result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toMatch(/π ≈ 3\.14\d* ± /);
    expect(await page.locator('#current-status').getAttribute('data-status')).toBe('completed');
    await page.locator('#workers tr').nth(1).waitFor();
    expect(await page.locator('#workers tr').count()).toBe(2);
    expect(await page.locator('#workers').textContent()).toContain('worker-1');
    expect(await page.locator('#recent').textContent()).toContain('completed');
    // The page runs under the gateway's CSP (inline blocks allowed by hash only) without a single refusal.
    expect(violations).toEqual([]);
  });

  it('shows the server’s message for bad input', async () => {
    const page = await browser.newPage();
    await page.goto(c.url);
    await page.fill('#token', TOKEN);
    await page.fill('#points', '0');
    await page.click('#go');
    await page.locator('#submit-error', { hasText: /\S/ }).waitFor();
    expect(await page.locator('#submit-error').textContent()).toMatch(/points must be an integer from 1 to/);
  });

  it('highlights a quarantined worker and says why', async () => {
    const real = await startWorker('honest-1', 1);
    const liar = await startHostileWorker({ workerId: 'liar-1', capacity: 1, behaviour: { kind: 'wrong', offset: 9 } });
    try {
      const coordinator = await startProcess('coordinator-q', 'coordinator', {
        PIGRID_GRPC_PORT: '0', PIGRID_DB_PATH: tempDbPath(), PIGRID_WORKERS: `${real.ready.grpc},${liar.address}`, PIGRID_THREADS: '1',
      });
      const gateway = await startProcess('gateway-q', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
      const url = gateway.ready.url;
      const done = await waitDone(url, (await submit(url, { points: 40 * 1_000_000, mode: 'distributed', seed: 5, chunk_size: 1_000_000 })).id, 30_000);
      expect(done.status).toBe('completed');
      const page = await browser.newPage();
      await page.goto(url);
      await page.locator('#workers tr.quarantined').waitFor({ timeout: 10_000 });
      expect(await page.locator('#workers tr.quarantined').textContent()).toContain('liar-1');
      expect(await page.locator('#quarantined').textContent()).toMatch(/quarantined liar-1 .*inside=/);
    } finally {
      await liar.close();
    }
  });
});
