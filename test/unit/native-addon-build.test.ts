import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAddonPath, probeNativeKernel } from '../../native/native-kernel.js';

const repoPath = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const hasObjdump = spawnSync('objdump', ['--version']).status === 0;
const addonPath = defaultAddonPath();
if (!hasObjdump) console.warn('[native-addon-build.test.ts] SKIPPING the instruction scan: objdump (binutils) is not installed');

/**
 * Functions of the .node file that contain AVX instructions (VEX/EVEX-encoded: mnemonics
 * starting with "v", or ymm/zmm/mask registers), from objdump's disassembly.
 */
function functionsUsingAvx(file: string): Set<string> {
  const out = spawnSync('objdump', ['-d', '--no-show-raw-insn', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const found = new Set<string>();
  let current = '';
  for (const line of out.stdout.split('\n')) {
    const header = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    const ins = /^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$/.exec(line);
    if (ins && (/^v/.test(ins[1]) || /%[yz]mm\d|%k[0-7]\b/.test(ins[2]))) found.add(current);
  }
  return found;
}

describe('the addon never executes an instruction the CPU lacks', () => {
  it.skipIf(!hasObjdump || !existsSync(addonPath))('AVX/AVX-512 instructions occur only in the loops that run after the CPU check', () => {
    const avx = [...functionsUsingAvx(addonPath)].sort();
    // run_* and check_cells_* are called by pigrid_run / pigrid_check_cells only after pigrid_cpu_has.
    expect(avx).toEqual(['check_cells_avx2', 'check_cells_avx2_w16', 'check_cells_avx512', 'run_avx2', 'run_avx2_w16', 'run_avx512']);
  });
});

describe('npm ci builds the addon, and a failed build does not fail the install', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'pigrid-native-build-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs a copy of build-addon.mjs on a copy of native/ (the repository's addon stays untouched). */
  function buildCopy(
    name: string,
    env: Record<string, string>,
  ): { status: number | null; stderr: string; recorded: { built: boolean; reason: string }; dir: string } {
    const dir = join(scratch, name);
    cpSync(repoPath('native'), join(dir, 'native'), { recursive: true, filter: (src) => !/[/\\](build|addon)$/.test(src) });
    const run = spawnSync(process.execPath, [join(dir, 'native', 'scripts', 'build-addon.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    const status = JSON.parse(readFileSync(join(dir, 'native', 'addon', 'build-status.json'), 'utf8')) as {
      built: boolean;
      reason: string;
    };
    return { status: run.status, stderr: run.stderr, recorded: status, dir };
  }

  it('a compiler failure exits 0, says so, and records the reason that the loader then quotes', () => {
    const run = buildCopy('broken-compiler', { CC: '/bin/false', CXX: '/bin/false', PIGRID_NATIVE_BUILD: 'auto' });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/native kernel not built: node-gyp failed .*the WebAssembly kernel will be used/);
    expect(run.recorded).toEqual({ built: false, reason: expect.stringMatching(/^node-gyp failed/) });
    const probe = probeNativeKernel({ env: {}, addonPath: join(run.dir, 'native', 'addon', 'pigrid_native_kernel.node') });
    expect(probe.decision).toEqual({
      kernel: 'wasm',
      reason: expect.stringMatching(/unavailable: it was not built at install: node-gyp failed/),
    });
  });

  it('PIGRID_NATIVE_BUILD=required turns that failure into a failed install; =skip builds nothing', () => {
    expect(buildCopy('required', { CC: '/bin/false', CXX: '/bin/false', PIGRID_NATIVE_BUILD: 'required' }).status).toBe(1);
    const skipped = buildCopy('skip', { PIGRID_NATIVE_BUILD: 'skip' });
    expect(skipped.status).toBe(0);
    expect(skipped.recorded).toEqual({ built: false, reason: 'PIGRID_NATIVE_BUILD=skip' });
  });

  it('the root package runs the build script at install', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.install).toBe('node native/scripts/build-addon.mjs');
    expect(pkg.scripts['build:native']).toBe(pkg.scripts.install);
  });
});
