/**
 * Real file-system faults for the store tests. chmod is no fault for root (tests often run as root), so:
 * - read-only: `chattr +i` (immutable) denies every write, root's included, even through a descriptor already
 *   open; it needs CAP_LINUX_IMMUTABLE and a file system that supports it (ext4, xfs, btrfs, tmpfs on Linux 6+).
 * - disk full: a small tmpfs mounted for the test (needs CAP_SYS_ADMIN), filled until ENOSPC.
 * Each probe returns why the fault cannot be made here (the test then says it is skipped), or undefined.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd: string, args: readonly string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function reasonOf(err: unknown): string {
  const e = err as { stderr?: Buffer; message?: string };
  return (e.stderr?.toString().trim() || e.message || String(err)).split('\n')[0];
}

/** Makes files immutable (or writable again). Missing files are skipped. */
export function setImmutable(paths: readonly string[], on: boolean): void {
  for (const p of paths) {
    try {
      run('chattr', [on ? '+i' : '-i', p]);
    } catch (err) {
      if (!/No such file/.test(reasonOf(err))) throw err;
    }
  }
}

/** Why files in `dir` cannot be made immutable here, or undefined if they can (and then deny writes). */
export function immutableUnsupported(dir = tmpdir()): string | undefined {
  const probe = join(mkdtempSync(join(dir, 'pigrid-chattr-')), 'probe');
  writeFileSync(probe, 'x');
  try {
    run('chattr', ['+i', probe]);
  } catch (err) {
    rmSync(probe, { force: true });
    return `chattr +i is not possible here: ${reasonOf(err)}`;
  }
  try {
    appendFileSync(probe, 'y');
    return 'an immutable file still accepts writes here';
  } catch {
    return undefined;
  } finally {
    run('chattr', ['-i', probe]);
    rmSync(probe, { force: true });
  }
}

/** Mounts a tmpfs of `sizeBytes` on `dir`; returns why it cannot, or undefined once mounted. */
export function mountTmpfs(dir: string, sizeBytes: number): string | undefined {
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here: ${reasonOf(err)}`;
  }
}

export function unmount(dir: string): void {
  run('umount', [dir]);
}

/** Fills the file system of `dir` with one file until a write fails with ENOSPC; returns that file. */
export function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (const size of [block.length, 4096, 512, 1]) {
      try {
        for (;;) writeSync(fd, block, 0, size);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}
