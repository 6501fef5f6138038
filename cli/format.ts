/**
 * Human-readable output of the CLI: calculation summaries, the final π ± σ, tables, rates and durations.
 */
import type { CalculationJson, ClusterStatusJson } from './gateway-client.js';

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function int(n: number): string {
  return n.toLocaleString('en-US');
}

/** 1.23e9 → "1.23 G"; for rates. */
export function si(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)} ${u}`;
  return n.toFixed(0);
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Points per second from the snapshots of the last `windowMs` (a sliding window, so a long calculation shows its
 * current rate), and the time left at that rate.
 */
export class RateMeter {
  private samples: { t: number; points: number }[] = [];
  constructor(private readonly windowMs = 10_000) {}

  add(c: CalculationJson, now = Date.now()): void {
    this.samples.push({ t: now, points: c.points_done });
    while (this.samples.length > 2 && now - this.samples[0].t > this.windowMs) this.samples.shift();
  }

  /** Points per second, or undefined until two snapshots are apart in time. */
  rate(c: CalculationJson, now = Date.now()): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first && last && last.t - first.t >= 200 && last.points > first.points)
      return ((last.points - first.points) * 1000) / (last.t - first.t);
    // Fall back to the average since the calculation started.
    if (c.started_at && c.points_done > 0) {
      const ms = (c.finished_at ? Date.parse(c.finished_at) : now) - Date.parse(c.started_at);
      if (ms > 0) return (c.points_done * 1000) / ms;
    }
    return undefined;
  }

  etaMs(c: CalculationJson, now = Date.now()): number | undefined {
    const r = this.rate(c, now);
    return r ? ((c.points - c.points_done) * 1000) / r : undefined;
  }
}

/** 4·inside/points_done and its standard error so far; undefined before the first chunk. */
export function runningEstimate(c: Pick<CalculationJson, 'inside' | 'points_done'>): { pi: number; sigma: number } | undefined {
  if (c.points_done <= 0) return undefined;
  const p = c.inside / c.points_done;
  return { pi: 4 * p, sigma: 4 * Math.sqrt((p * (1 - p)) / c.points_done) };
}

/** The digits of π worth showing next to σ: two significant digits of σ. */
export function piText(pi: number, sigma: number): string {
  const decimals = sigma > 0 ? Math.min(15, Math.max(2, 1 - Math.floor(Math.log10(sigma)))) : 12;
  return pi.toFixed(decimals);
}

/** The final answer: `π ≈ 3.14159 ± 0.000016` and how far it is from the true π in σ. */
export function resultLines(c: CalculationJson): string[] {
  const lines: string[] = [];
  if (c.status === 'completed' && c.result_pi !== null && c.std_error !== null) {
    const off = c.std_error > 0 ? Math.abs(c.result_pi - Math.PI) / c.std_error : 0;
    lines.push(`π ≈ ${piText(c.result_pi, c.std_error)} ± ${c.std_error.toPrecision(2)}  (1σ; the true π is ${off.toFixed(1)}σ away)`);
    lines.push(
      `${int(c.inside)} of ${int(c.points)} points inside; seed ${c.seed}, ${int(c.chunk_count)} chunks of ${int(c.chunk_size)}` +
        (c.duration_ms !== null ? `, ${duration(c.duration_ms)}` : '') +
        (c.duration_ms ? ` (${si((c.points * 1000) / c.duration_ms)}points/s)` : '') +
        `; ${int(c.chunks_verified)} chunks verified by a second computation` +
        (c.chunks_recomputed ? `, ${int(c.chunks_recomputed)} recomputed` : ''),
    );
  } else {
    lines.push(`${c.status}${c.error_code ? ` (${c.error_code})` : ''}${c.error ? `: ${c.error}` : ''}`);
    lines.push(
      `${int(c.points_done)} of ${int(c.points)} points done (${(c.progress * 100).toFixed(1)}%), ${int(c.chunks_done)} of ${int(c.chunk_count)} chunks`,
    );
  }
  return lines;
}

/** A one-calculation summary for `get`, `cancel` and `calc` without --watch. */
export function calculationLines(c: CalculationJson): string[] {
  const lines = [
    `${c.id}  ${c.status}  ${c.mode}, ${int(c.points)} points, seed ${c.seed}, ${int(c.chunk_count)} chunks of ${int(c.chunk_size)}`,
  ];
  if (!TERMINAL.has(c.status)) {
    const est = runningEstimate(c);
    lines.push(
      `progress ${(c.progress * 100).toFixed(1)}% (${int(c.chunks_done)}/${int(c.chunk_count)} chunks)` +
        (est ? `, π so far ${piText(est.pi, est.sigma)} ± ${est.sigma.toPrecision(2)}` : ''),
    );
  } else lines.push(...resultLines(c));
  lines.push(
    `created ${c.created_at}` + (c.started_at ? `, started ${c.started_at}` : '') + (c.finished_at ? `, finished ${c.finished_at}` : ''),
  );
  return lines;
}

/** Left-aligned columns; numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((v) => (typeof v === 'number' ? int(v) : v)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells
    .map((r) =>
      r
        .map((v, i) => (numeric[i] ? String(v).padStart(widths[i]) : String(v).padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function listTable(calcs: CalculationJson[]): string {
  if (calcs.length === 0) return 'no calculations yet';
  return table(
    ['id', 'status', 'mode', 'points', 'progress', 'π', '±σ', 'seed', 'created'],
    calcs.map((c) => [
      c.id,
      c.status,
      c.mode,
      c.points,
      `${(c.progress * 100).toFixed(1)}%`,
      c.result_pi === null ? '' : String(c.result_pi),
      c.std_error === null ? '' : c.std_error.toPrecision(2),
      String(c.seed),
      c.created_at,
    ]),
  );
}

export function workersText(s: ClusterStatusJson): string {
  const out: string[] = [];
  const c = s.coordinator;
  if ('error' in c && c.error) {
    out.push(`coordinator: ${c.error.message} (${c.error.code})`);
  } else if ('workers' in c) {
    out.push(
      c.workers.length === 0
        ? 'no workers connected'
        : table(
            ['id', 'address', 'state', 'capacity', 'in flight', 'chunks', 'verified'],
            c.workers.map((w) => [w.id, w.address, w.state, w.capacity, w.in_flight, w.chunks_completed, w.chunks_verified]),
          ),
    );
    out.push('');
    out.push(
      `pool: ${c.workers.length} workers, capacity ${c.total_capacity} threads, ${c.leases_in_flight} leases in flight, backlog ${int(c.backlog_chunks)} chunks, ${c.active_calculations} active calculations`,
    );
    for (const q of c.quarantined) out.push(`QUARANTINED ${q.worker_id} at ${q.quarantined_at}: ${q.reason}`);
  }
  if (s.in_cluster) {
    out.push(`Kubernetes namespace ${s.namespace ?? '?'}`);
    for (const h of s.hpas ?? []) {
      out.push(
        `HPA ${h.name}: ${h.current_replicas ?? '?'} replicas, desired ${h.desired_replicas ?? '?'} (min ${h.min_replicas ?? '?'}, max ${h.max_replicas}), CPU ${h.current_cpu_utilization ?? '?'}% of ${h.target_cpu_utilization ?? '?'}%`,
      );
    }
    for (const [component, pods] of Object.entries(s.pods ?? {})) {
      if (pods.length > 0)
        out.push(
          `${component} pods: ${pods.map((p) => `${p.name} ${p.phase}${p.ready ? '' : ' (not ready)'}${p.restarts ? `, ${p.restarts} restarts` : ''}`).join('; ')}`,
        );
    }
  } else out.push('not in a Kubernetes cluster (no HPAs or pods to show)');
  for (const e of s.errors ?? []) if (e.source !== 'config') out.push(`warning: ${e.source}: ${e.message}`);
  return out.join('\n');
}
