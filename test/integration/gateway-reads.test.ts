/**
 * Reads through a real gateway: an ended calculation carries a strong ETag and immutable caching and answers 304 to
 * a matching If-None-Match; a running one is `no-cache` and its ETag follows its progress; SSE and GET agree; every
 * SSE client of one calculation shares the gateway's one upstream Watch stream (its /metrics gauges say so); the
 * request log's lines all reach stdout, the last ones too.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { calculationsClient, unary, type Calculation__Output } from '../../harness/grpc-client.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ workers: 1 });
});
afterAll(stopAll);

/**
 * A calculation the tests below cancel, so it must still run when they do (after ten event streams open or an ETag
 * changes, which can take seconds on a loaded machine): 10^12 points, hours of the one worker. 10^10 points were
 * ~2.7 s of it, ~1.4 s on a machine twice as fast.
 */
const RUNNING = 1_000_000_000_000;

it('serves an ended calculation with an ETag, immutable caching and 304s', async () => {
  // Chunks of a few ms, not of 10^6 points (~0.3 ms, reported as 0 ms): the coordinator sizes the next calculation's
  // first spans from this one's time per point, and from 0 ms it gives the 10^12-point calculation below spans of
  // 1,024 chunks of 2.5·10^8 points (over a minute of the worker before its first result; reported as a bug).
  const done = await waitDone(
    c.url,
    (await submit(c.url, { points: 100_000_000, mode: 'distributed', seed: 3, chunk_size: 25_000_000 })).id,
  );
  const res = await fetch(`${c.url}/api/calculate/${done.id}`);
  expect(res.status).toBe(200);
  const etag = res.headers.get('etag');
  expect(etag).toMatch(/^"[\w-]{22}"$/);
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(await res.json()).toEqual(done);
  const again = await fetch(`${c.url}/api/calculate/${done.id}`, { headers: { 'if-none-match': etag! } });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe('');
  const other = await fetch(`${c.url}/api/calculate/${done.id}`, { headers: { 'if-none-match': '"something-else"' } });
  expect(other.status).toBe(200);
});

it('marks a running calculation no-cache, with an ETag that changes as it progresses', async () => {
  const calc = await submit(c.url, { points: RUNNING, mode: 'distributed', seed: 4, chunk_size: 250_000_000 });
  const first = await fetch(`${c.url}/api/calculate/${calc.id}`);
  expect(first.headers.get('cache-control')).toBe('no-cache');
  const tag = first.headers.get('etag');
  await until(
    'the ETag to change with progress',
    async () => {
      const r = await fetch(`${c.url}/api/calculate/${calc.id}`, { headers: { 'if-none-match': tag! } });
      return r.status === 200 ? true : undefined;
    },
    30_000,
  );
  const res = await fetch(`${c.url}/api/calculate/${calc.id}/cancel`, { method: 'POST' });
  expect(res.status).toBe(200);
  const ended = await waitDone(c.url, calc.id);
  expect(ended.status).toBe('cancelled');
});

it('answers the first GET after its own POST from the submit answer, while the coordinator is stopped', async () => {
  // The control: a calculation submitted to the coordinator directly, unknown to the gateway.
  const client = await calculationsClient(c.coordinator.ready.grpc);
  const { value: elsewhere, error } = await unary<Calculation__Output>((cb) =>
    client.Submit({ points: RUNNING, mode: 'MODE_DISTRIBUTED', seed: 7, chunkSize: 250_000_000 }, cb),
  );
  client.close();
  expect(error).toBeUndefined();
  const mine = await submit(c.url, { points: RUNNING, mode: 'distributed', seed: 8, chunk_size: 250_000_000 });
  c.coordinator.kill('SIGSTOP');
  let resumed = false;
  try {
    const control = http(`${c.url}/api/calculate/${elsewhere!.id}`).then((res) => ({ res, resumed }));
    const first = await http(`${c.url}/api/calculate/${mine.id}`);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ id: mine.id, points: RUNNING, seed: 8 });
    expect(resumed).toBe(false);
    resumed = true;
    c.coordinator.kill('SIGCONT');
    // The other calculation's first GET had to wait for the coordinator: it is answered only after it resumed.
    const late = await control;
    expect(late.resumed).toBe(true);
    expect(late.res.json).toMatchObject({ id: elsewhere!.id, points: RUNNING, seed: 7 });
  } finally {
    c.coordinator.kill('SIGCONT');
  }
  for (const id of [mine.id, elsewhere!.id]) {
    expect((await http(`${c.url}/api/calculate/${id}/cancel`, 'POST')).status).toBe(200);
    expect((await waitDone(c.url, id)).status).toBe('cancelled');
  }
});

/** An SSE client reading the stream as it comes: `first` when the first event arrived, `text` when it closed. */
function follow(url: string): { first: Promise<void>; text: Promise<string> } {
  let firstSeen = () => {};
  const first = new Promise<void>((resolve) => (firstSeen = resolve));
  const text = (async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let all = '';
    for await (const chunk of res.body!) {
      all += decoder.decode(chunk, { stream: true });
      if (all.includes('\n\n')) firstSeen();
    }
    return all;
  })();
  return { first, text };
}

async function gauge(name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec((await http(`${c.url}/metrics`)).text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

it('serves every SSE client of a running calculation from one upstream Watch, and ends them all', async () => {
  const calc = await submit(c.url, { points: RUNNING, mode: 'distributed', seed: 5, chunk_size: 250_000_000 });
  const clients = Array.from({ length: 10 }, () => follow(`${c.url}/api/calculate/${calc.id}/events`));
  await Promise.all(clients.map((s) => s.first));
  // Calculations of the tests above ended, so their Watch streams closed: this calculation's is the only one.
  await until('one upstream Watch for ten event streams', async () =>
    (await gauge('pigrid_gateway_event_streams')) === 10 && (await gauge('pigrid_gateway_upstream_watches')) === 1 ? true : undefined,
  );
  expect((await http(`${c.url}/api/calculate/${calc.id}/cancel`, 'POST')).status).toBe(200);
  for (const text of await Promise.all(clients.map((s) => s.text))) {
    expect(text).toMatch(/event: end\ndata: .*"status":"cancelled".*\n\n$/);
  }
  await until('the Watch to close', async () => ((await gauge('pigrid_gateway_upstream_watches')) === 0 ? true : undefined));
  expect(await gauge('pigrid_gateway_event_streams')).toBe(0);
});

it('writes one request line per answer to its asynchronous stdout, and its last lines before it exits', async () => {
  const gateway = c.gateway!;
  const before = gateway.records.filter((r) => r.msg === 'request completed').length;
  const n = 200;
  // Concurrent reads: their lines are logged while earlier ones are still being written.
  const statuses = await Promise.all(
    Array.from({ length: n }, (_, i) => fetch(`${c.url}/api/calculate/no-such-${i}`).then((r) => r.status)),
  );
  expect(statuses.every((s) => s === 404)).toBe(true);
  await until('every request line', async () =>
    gateway.records.filter((r) => r.msg === 'request completed').length >= before + n ? true : undefined,
  );
  const lines = gateway.records.filter((r) => r.msg === 'request completed' && String(r.url).startsWith('/api/calculate/no-such-'));
  expect(lines).toHaveLength(n);
  expect(new Set(lines.map((r) => r.reqId)).size).toBe(n);
  expect(lines[0]).toMatchObject({ method: 'GET', statusCode: 404, client: 'ip:127.0.0.1' });
  // Lines logged just before the process exits are not lost.
  gateway.kill('SIGTERM');
  expect(await gateway.exited).toBe(0);
  expect(gateway.records.at(-1)?.msg).toBe('gateway stopped');
});
