/**
 * How many CPUs this process may really use: os.availableParallelism() capped by a cgroup CPU quota (v2 cpu.max or
 * v1 cfs_quota_us / cfs_period_us), rounded up, at least 1. A pod limited to 1500m gets 2 threads, one limited to
 * 1 CPU gets 1, so the pool saturates exactly what the pod was given and HPA sees the load.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

type ReadFile = (path: string) => string | undefined;

const readOrUndefined: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The cgroup CPU quota in CPUs, or undefined when there is none. */
export function cgroupCpuQuota(read: ReadFile = readOrUndefined): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    if (quota !== 'max' && Number(quota) > 0 && Number(period) > 0) return Number(quota) / Number(period);
    return undefined;
  }
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim());
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
  if (quota > 0 && period > 0) return quota / period;
  return undefined;
}

export function usableCpus(read: ReadFile = readOrUndefined, cpus: number = availableParallelism()): number {
  const quota = cgroupCpuQuota(read);
  const capped = quota === undefined ? cpus : Math.min(cpus, Math.ceil(quota - 1e-9));
  return Math.max(1, capped);
}
