/**
 * Progress of a calculation on stderr: a cli-progress bar on a terminal, one plain line per update otherwise (a
 * log file, a CI job), nothing with --json.
 */
import cliProgress from 'cli-progress';
import type { CalculationJson } from './gateway-client.js';
import { duration, int, piText, RateMeter, runningEstimate, si } from './format.js';

export interface ProgressView {
  update(c: CalculationJson): void;
  stop(): void;
}

function details(c: CalculationJson, meter: RateMeter): { rate: string; eta: string; pi: string } {
  const rate = meter.rate(c);
  const eta = meter.etaMs(c);
  const est = runningEstimate(c);
  return {
    rate: rate ? `${si(rate)}points/s` : '-',
    eta: c.status === 'running' || c.status === 'queued' ? (eta !== undefined ? duration(eta) : '?') : '0 s',
    pi: est ? `${piText(est.pi, est.sigma)} ± ${est.sigma.toPrecision(2)}` : '-',
  };
}

export function progressView(mode: 'bar' | 'lines' | 'none', stream: NodeJS.WriteStream = process.stderr): ProgressView {
  const meter = new RateMeter();
  if (mode === 'none') return { update: (c) => meter.add(c), stop: () => {} };
  if (mode === 'lines') {
    // One line per change of status or progress (the stream repeats snapshots, e.g. when a chunk is re-leased).
    let lastKey = '';
    return {
      update(c) {
        meter.add(c);
        const key = `${c.status} ${c.chunks_done}`;
        if (key === lastKey) return;
        lastKey = key;
        const d = details(c, meter);
        stream.write(
          `${c.status} ${(c.progress * 100).toFixed(1)}% ${int(c.chunks_done)}/${int(c.chunk_count)} chunks, ${d.rate}, ETA ${d.eta}, π ${d.pi}\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {chunks} chunks | {rate} | ETA {eta_text} | π {pi}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(c) {
      meter.add(c);
      const d = details(c, meter);
      const payload = { chunks: `${int(c.chunks_done)}/${int(c.chunk_count)}`, rate: d.rate, eta_text: d.eta, pi: d.pi };
      const value = Math.round(c.progress * 1000);
      if (!started) {
        bar.start(1000, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
