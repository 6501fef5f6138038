/**
 * Small REST helpers for tests: JSON requests against the gateway and polling until a calculation ends.
 */
import type { CalculationJson } from '../gateway/calculation-json.js';

/** The gateway's calculation JSON: the same type the gateway serialises. */
export type CalcJson = CalculationJson;

export async function http(
  url: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export async function submit(base: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<CalcJson> {
  const r = await http(`${base}/api/calculate`, 'POST', body, headers);
  if (r.status !== 202) throw new Error(`submit failed: ${r.status} ${r.text}`);
  return r.json as CalcJson;
}

export async function waitDone(base: string, id: string, timeoutMs = 60_000): Promise<CalcJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await http(`${base}/api/calculate/${id}`);
    // 503/504 while the coordinator restarts: keep polling until the deadline.
    if (r.status !== 200 && r.status !== 503 && r.status !== 504) throw new Error(`get ${id} failed: ${r.status} ${r.text}`);
    if (r.status === 200 && ['completed', 'failed', 'cancelled'].includes(r.json.status)) return r.json as CalcJson;
    if (Date.now() > deadline) throw new Error(`calculation ${id} did not end within ${timeoutMs} ms: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export interface PoolView {
  workers: { id: string; address: string; in_flight: number; state: string; chunks_completed: number }[];
  leases_in_flight: number;
  backlog_chunks: number;
}

/** The coordinator's view of the pool, through the gateway. */
export async function poolView(base: string): Promise<PoolView> {
  const r = await http(`${base}/api/k8s/status`);
  const view = r.json.coordinator as { workers?: unknown; error?: { code: string; message: string } } | null;
  // The gateway reports a failed ClusterStatus call in place of the view: say so instead of a TypeError later.
  if (!view || !Array.isArray(view.workers)) {
    throw new Error(
      `no pool view from the coordinator: ${view?.error ? `${view.error.code}: ${view.error.message}` : JSON.stringify(view)}`,
    );
  }
  return view as PoolView;
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}
