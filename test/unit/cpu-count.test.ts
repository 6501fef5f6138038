import { describe, expect, it } from 'vitest';
import { cgroupCpuQuota, usableCpus } from '../../shared/cpu-count.js';

const files = (m: Record<string, string>) => (path: string) => m[path];

describe('usable CPUs: availableParallelism capped by the cgroup quota', () => {
  it.each([
    ['cgroup v2 with 1.5 CPUs', { '/sys/fs/cgroup/cpu.max': '150000 100000\n' }, 8, 2],
    ['cgroup v2 with 1 CPU', { '/sys/fs/cgroup/cpu.max': '100000 100000' }, 8, 1],
    ['cgroup v2 with 500m', { '/sys/fs/cgroup/cpu.max': '50000 100000' }, 8, 1],
    ['cgroup v2 without a limit', { '/sys/fs/cgroup/cpu.max': 'max 100000' }, 4, 4],
    ['cgroup v1 with 3 CPUs', { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }, 8, 3],
    ['cgroup v1 unlimited', { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }, 2, 2],
    ['a quota above the machine', { '/sys/fs/cgroup/cpu.max': '1600000 100000' }, 2, 2],
    ['no cgroup files', {}, 2, 2],
  ])('%s', (_name, fs, cpus, expected) => {
    expect(usableCpus(files(fs), cpus)).toBe(expected);
  });

  it('reads the quota as a fraction of CPUs', () => {
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '250000 100000' }))).toBe(2.5);
    expect(cgroupCpuQuota(files({}))).toBeUndefined();
  });
});
