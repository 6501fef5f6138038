/**
 * How far V8 lets the coordinator's heap grow between full garbage collections.
 *
 * With many workers connected most of what the coordinator allocates per chunk (the lease, its id, its entries in
 * the lease indexes, gRPC's message state) lives as long as the lease is out, seconds with 1,000 workers, so it
 * survives the young generation and dies in the old one. V8's default lets the old generation grow to up to 4×
 * what survived the last full collection before it collects again: with 1,000 workers (~70 MB live) that was
 * ~190 MB of mostly dead objects, and an RSS of 300–400 MB against a 256 MiB container limit
 * (k8s/base/coordinator/statefulset.yaml). Capping the growth at 1.5× collects the same garbage more often (11
 * full collections instead of 3–5 in a 100,000-chunk run at 1,000 workers, ~170 ms each on a loaded 2-core VM) and
 * brought that run's peak RSS to 240–273 MB (docs/performance.md, "Coordinator memory with 1,000 workers").
 */
import { setFlagsFromString } from 'node:v8';

/** Old generation allowed before the next full collection, in percent above what survived the last one. */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = '--heap-growing-percent';

/**
 * Applies {@link HEAP_GROWING_PERCENT} to this process, unless node was started with its own `--heap-growing-percent`
 * (an operator's choice wins). V8 reads the setting at every full collection, so setting it at start-up acts
 * exactly like the command-line flag, wherever the coordinator was started from (image, Kubernetes, `npm start`,
 * tests, benchmarks). Returns whether it set the flag.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  const given = execArgv.map((a) => a.replaceAll('_', '-')).some((a) => a === FLAG || a.startsWith(`${FLAG}=`));
  if (!given) setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
  return !given;
}
