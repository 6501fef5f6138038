/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): a person submits a calculation,
 * watches it complete, sees the workers; bad input shows the server's message.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { stopAll } from '../harness/processes.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: dashboard browser test needs ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('dashboard', () => {
  let c: Cluster;
  let browser: Browser;
  beforeAll(async () => {
    c = await startCluster({ workers: 2 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('submits a calculation, follows its progress to the result, and lists the workers', async () => {
    const page = await browser.newPage();
    await page.goto(c.url);
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
  });

  it('shows the server’s message for bad input', async () => {
    const page = await browser.newPage();
    await page.goto(c.url);
    await page.fill('#points', '0');
    await page.click('#go');
    await page.locator('#submit-error', { hasText: /\S/ }).waitFor();
    expect(await page.locator('#submit-error').textContent()).toMatch(/points must be an integer from 1 to/);
  });
});
