import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { statCpuMs, statFields } from '../../harness/proc-stat.js';

it('reads the fields after a command name that holds spaces and parentheses', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
  const line = '4242 (node ) (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 7 8 20 0 11 0 99 1 2';
  expect(statFields(line).slice(0, 3)).toEqual(['S', '1', '4242']);
  expect(statCpuMs(line)).toBe((1234 + 56) * 10);
});

it("gives this process's CPU time as process.cpuUsage does, to the tick", () => {
  const end = Date.now() + 60;
  while (Date.now() < end); // some CPU to count
  const fromProc = statCpuMs(readFileSync('/proc/self/stat', 'utf8'));
  const { user, system } = process.cpuUsage();
  // Read after /proc, cpuUsage is at least as large; utime and stime are each cut to a 10 ms tick (a tick of slack
  // either way for how the kernel splits user and system time).
  expect(fromProc).toBeLessThanOrEqual((user + system) / 1000 + 10);
  expect(fromProc).toBeGreaterThan((user + system) / 1000 - 30);
});
