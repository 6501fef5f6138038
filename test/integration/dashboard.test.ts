/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core), under a strict
 * Content-Security-Policy: a person submits a calculation and watches it complete with its convergence chart and
 * the pool charts filling; a calculation submitted elsewhere (curl) shows up live and is cancelled from the page;
 * the page fits a phone; bad input shows the server's message; a quarantined worker is highlighted.
 * Screenshots go to test-results/dashboard/ (gitignored).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hashToken } from '../../shared/api-tokens.js';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appRoot } from '../../shared/paths.js';
import { startCluster, startWorker, workerConnected, type Cluster } from '../../harness/cluster.js';
import { startHostileWorker } from '../../harness/hostile-worker.js';
import { startProcess, stopAll, tempDbPath } from '../../harness/processes.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';
import { fakeHpa, fakePod, fakePodMetrics, startFakeKubeApi } from '../fakes/fake-kube-api.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const SHOTS = join(appRoot(), 'test-results', 'dashboard');
/** The main cluster wants this API token for writes (reads stay open); pages get it in the token field. */
const TOKEN = 'dashboard-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** What a hardened gateway sends (issue 10): nothing inline may run or style the page. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** A page that gets the dashboard document with the strict CSP and records CSP violations and script errors. */
async function openDashboard(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 900 },
  token: string | null = TOKEN,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  // As if the person had typed the token into the page's token field earlier in this tab.
  if (token)
    await page.addInitScript(
      (t) =>
        (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('pigrid-token', t),
      token,
    );
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const origin = new URL(url).origin;
  await page.route(
    (u) => u.origin === origin && u.pathname === '/',
    async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
    },
  );
  await page.goto(`${url}/?refresh=400`);
  return { page, problems };
}

const dataPoints = async (page: Page, id: string) => Number(await page.locator(`#${id}`).getAttribute('data-points'));

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: dashboard browser test needs ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('dashboard', () => {
  let c: Cluster;
  let browser: Browser;
  beforeAll(async () => {
    const tokens = join(mkdtempSync(join(tmpdir(), 'pigrid-dash-')), 'tokens');
    writeFileSync(tokens, `browser ${hashToken(TOKEN)} write\n`);
    c = await startCluster({
      workers: 2,
      coordinatorEnv: { PIGRID_API_TOKENS_FILE: tokens },
      gatewayEnv: { PIGRID_API_TOKENS_FILE: tokens },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  // Each test's page goes with it: a dashboard left open polls the gateway every 400 ms and redraws its charts, so by
  // the last test five such pages were taking CPU from the processes the tests start.
  afterEach(async () => {
    await Promise.all(browser?.contexts().map((context) => context.close()) ?? []);
  });
  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('submits a calculation, follows it live to the result with its charts, and lists the workers', async () => {
    const { page, problems } = await openDashboard(browser, c.url);
    // 120 chunks, ~2.5 s on 2 AVX2 threads: spans of ~200 ms of kernel time and a Watch that sends at most 10
    // snapshots a second give the convergence chart ~10 or more points even on a machine twice as fast (at
    // 1.5·10^9 points a fast machine finished in ~0.6 s with only 4).
    await page.fill('#points', '6000000000');
    await page.selectOption('#mode', 'distributed');
    await page.fill('#seed', '31415');
    await page.fill('#chunk-size', '50000000');
    await page.click('#go');
    // Live: the progress bar, rate, ETA and running estimate while it runs.
    await page.locator('#current-status[data-status="running"]').waitFor({ timeout: 20_000 });
    await page.locator('#current-stats', { hasText: /samples\/s · ETA .* · π ≈ 3\.\d+ ± / }).waitFor({ timeout: 20_000 });
    const result = page.locator('#result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toMatch(/π ≈ 3\.14\d* ± /);
    expect(await page.locator('#current-status').getAttribute('data-status')).toBe('completed');
    expect(await page.locator('#cancel').isHidden()).toBe(true);
    // The charts received data: the estimate converging over points, and the pool over time.
    expect(await dataPoints(page, 'chart-pi')).toBeGreaterThanOrEqual(5);
    await until(
      'pool history',
      async () => ((await dataPoints(page, 'chart-pool')) >= 3 && (await dataPoints(page, 'chart-rate')) >= 2) || undefined,
    );
    expect(await dataPoints(page, 'chart-backlog')).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#chart-pi canvas').count()).toBe(1);
    expect(await page.locator('#chart-pool canvas').count()).toBe(1);
    await page.locator('#workers tr').nth(1).waitFor();
    expect(await page.locator('#workers tr').count()).toBe(2);
    expect(await page.locator('#workers').textContent()).toContain('worker-1');
    expect(await page.locator('#recent').textContent()).toContain('completed');
    expect(await page.locator('#hpas').textContent()).toMatch(/Not in a Kubernetes cluster/);
    await page.screenshot({ path: join(SHOTS, 'desktop.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows a calculation submitted elsewhere, live, and cancels it from the page', async () => {
    const { page, problems } = await openDashboard(browser, c.url);
    const other = await submit(c.url, { points: 10_000_000_000_000, mode: 'distributed', seed: 1, chunk_size: 50_000_000 }, AUTH);
    const card = page.locator(`#active .card[data-id="${other.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await page.locator('#current-status[data-status="running"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#current-status').getAttribute('data-id')).toBe(other.id);
    await card.locator('p', { hasText: /π ≈ 3\.\d+ ± / }).waitFor({ timeout: 20_000 });
    expect(await card.textContent()).toMatch(/samples\/s · ETA /);
    await card.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#current-status[data-status="cancelled"]').waitFor({ timeout: 10_000 });
    expect((await http(`${c.url}/api/calculate/${other.id}`)).json.status).toBe('cancelled');
    await card.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('fits a phone screen', async () => {
    const { page, problems } = await openDashboard(browser, c.url, { width: 390, height: 844 });
    await page.locator('#workers tr').nth(1).waitFor();
    await until('pool chart data', async () => (await dataPoints(page, 'chart-pool')) >= 2 || undefined);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const chartWidth = await page
      .locator('#chart-pool canvas')
      .evaluate((e) => (e as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width);
    expect(chartWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('in a cluster, shows the HPAs and the pods with their CPU (a fake Kubernetes API)', async () => {
    const api = await startFakeKubeApi();
    try {
      const labels = (component: string) => ({
        'app.kubernetes.io/name': 'pigrid',
        'app.kubernetes.io/part-of': 'pigrid',
        'app.kubernetes.io/component': component,
      });
      api.setPods([
        fakePod({
          name: 'pigrid-worker-abc-1',
          component: 'worker',
          node: 'node-a',
          podIP: '10.0.0.5',
          createdAt: new Date().toISOString(),
        }),
        fakePod({
          name: 'pigrid-worker-abc-2',
          component: 'worker',
          node: 'node-b',
          podIP: '10.0.0.6',
          createdAt: new Date().toISOString(),
          containers: [{ ready: false, restarts: 2 }],
        }),
      ]);
      api.setHpas([
        fakeHpa({
          name: 'pigrid-worker',
          target: { kind: 'Deployment', name: 'pigrid-worker' },
          minReplicas: 2,
          maxReplicas: 20,
          currentReplicas: 2,
          desiredReplicas: 5,
          cpuTarget: 60,
          cpuCurrent: 91,
        }),
      ]);
      api.setPodMetrics([
        fakePodMetrics({
          name: 'pigrid-worker-abc-1',
          labels: labels('worker'),
          containers: [{ name: 'worker', cpu: '950m', memory: '80Mi' }],
        }),
      ]);
      const gw = await startProcess('gateway-k8s', 'gateway', {
        PIGRID_HTTP_PORT: '0',
        PIGRID_COORDINATOR: c.coordinator.ready.grpc,
        KUBECONFIG: api.writeKubeconfig(mkdtempSync(join(tmpdir(), 'pigrid-kube-'))),
      });
      const { page, problems } = await openDashboard(browser, gw.ready.url);
      await page
        .locator('#hpas', { hasText: 'HPA pigrid-worker: 2/5 replicas (min 2, max 20), CPU 91% of 60%' })
        .waitFor({ timeout: 10_000 });
      await page.locator('#pods tr', { hasText: 'pigrid-worker-abc-1' }).locator('td', { hasText: /^950$/ }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#pods tr', { hasText: 'pigrid-worker-abc-2' }).textContent()).toMatch(/workerRunningno2/);
      expect(await page.locator('#pool').textContent()).toContain('namespace pigrid');
      await page.screenshot({ path: join(SHOTS, 'cluster.png'), fullPage: true });
      expect(problems).toEqual([]);
      gw.kill();
    } finally {
      await api.close();
    }
  }, 120_000); // starts a gateway and a browser page (49 s of the default 60 at load average 11)

  it('asks for the API token when the server wants one, and takes it from the token field', async () => {
    const { page } = await openDashboard(browser, c.url, undefined, null);
    await page.fill('#points', '1000000000');
    await page.click('#go');
    await page.locator('#submit-error', { hasText: /\S/ }).waitFor();
    expect(await page.locator('#submit-error').textContent()).toMatch(/needs a token: send Authorization: Bearer <token>/);
    await page.fill('#token', TOKEN);
    await page.locator('#token').dispatchEvent('change');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/calculate') && r.request().method() === 'POST'),
      page.click('#go'),
    ]);
    expect(res.status()).toBe(202);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('pigrid-token'),
      ),
    ).toBe(TOKEN);
  });

  it('shows the server’s message for bad input', async () => {
    const { page } = await openDashboard(browser, c.url);
    await page.fill('#points', '0');
    await page.click('#go');
    await page.locator('#submit-error', { hasText: /\S/ }).waitFor();
    expect(await page.locator('#submit-error').textContent()).toMatch(/points must be an integer from 1 to/);
  });

  it('highlights a quarantined worker and says why', async () => {
    const [real, liar] = await Promise.all([
      startWorker('honest-1', 1),
      startHostileWorker({ workerId: 'liar-1', capacity: 1, behaviour: { kind: 'wrong', offset: 9 } }),
    ]);
    try {
      const coordinator = await startProcess('coordinator-q', 'coordinator', {
        PIGRID_GRPC_PORT: '0',
        PIGRID_DB_PATH: tempDbPath(),
        PIGRID_WORKERS: `${real.ready.grpc},${liar.address}`,
        PIGRID_THREADS: '1',
      });
      // Both in the pool before the calculation: 40 chunks of 10^6 points take the honest worker a few tens of ms, so
      // a liar that connected later would get no lease and never be caught.
      await Promise.all(['honest-1', 'liar-1'].map((id) => coordinator.waitFor(workerConnected(id))));
      const gateway = await startProcess('gateway-q', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
      const url = gateway.ready.url;
      const done = await waitDone(
        url,
        (await submit(url, { points: 40 * 1_000_000, mode: 'distributed', seed: 5, chunk_size: 1_000_000 })).id,
        30_000,
      );
      expect(done.status).toBe('completed');
      const page = await browser.newPage();
      await page.goto(url);
      await page.locator('#workers tr.quarantined').waitFor({ timeout: 10_000 });
      expect(await page.locator('#workers tr.quarantined').textContent()).toContain('liar-1');
      expect(await page.locator('#quarantined').textContent()).toMatch(/quarantined liar-1 .*inside=/);
    } finally {
      await liar.close();
    }
  }, 120_000); // starts two workers, a coordinator and a gateway (49 and over 60 s at load average 11)
});
