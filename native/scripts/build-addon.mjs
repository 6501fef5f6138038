#!/usr/bin/env node
/**
 * Builds the native π kernel (a Node-API addon) with node-gyp and installs it as
 * native/addon/pigrid_native_kernel.node. It is the root package's `install` script, so
 * `npm ci` / `npm install` run it, and `npm run build:native` runs it by hand.
 *
 * It never fails the install: the WebAssembly kernel computes the same counts, so a machine
 * without a compiler, another architecture or a failed build only loses speed. Whatever
 * happens is recorded in native/addon/build-status.json ({ built, reason }), which the loader
 * (native/native-kernel.ts) quotes when it explains why the native kernel is unavailable; the
 * compiler's output goes to native/build/build-addon.log. native/addon/ always exists afterwards
 * and holds nothing but the .node file and that status (the Dockerfile copies the directory).
 *
 * No network: node-gyp is the copy bundled with npm, and it builds against the headers of the
 * running node (npm_config_nodedir if set, else <prefix>/include/node beside process.execPath),
 * never downloaded ones. No prebuilt binary is fetched.
 *
 * PIGRID_NATIVE_BUILD: `auto` (default), `skip` (do not build), `required` (exit 1 when the
 * addon cannot be built, for images and CI that must have it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(nativeDir, 'addon');
const addonFile = join(addonDir, 'pigrid_native_kernel.node');
const statusFile = join(addonDir, 'build-status.json');
const logFile = join(nativeDir, 'build', 'build-addon.log');
const builtFile = join(nativeDir, 'build', 'Release', 'pigrid_native_kernel.node');

const mode = process.env.PIGRID_NATIVE_BUILD || 'auto';

function finish(built, reason) {
  writeFileSync(statusFile, `${JSON.stringify({ built, reason }, null, 2)}\n`);
  const line = built
    ? `pigrid: native kernel built (${reason})`
    : `pigrid: native kernel not built: ${reason}; the WebAssembly kernel will be used`;
  process.stderr.write(`${line}\n`);
  process.exit(!built && mode === 'required' ? 1 : 0);
}

/** node-gyp as bundled with npm: npm exports its path to scripts; else beside this node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((path) => path && existsSync(path));
}

/** The running node's headers, so node-gyp never downloads any. */
function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && existsSync(join(configured, 'include', 'node', 'node_api.h'))) return configured;
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

/** The first few lines of a failed build that say what went wrong (compiler errors, a missing tool). */
function firstErrors(build) {
  const noise = /^gyp ERR! (stack +at|System|command|cwd|node -v|node-gyp -v|not ok)/;
  return `${build.stdout ?? ''}\n${build.stderr ?? ''}\n${build.error ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\berror\b|Error:|not found|No such file/i.test(l) && !noise.test(l))
    .slice(0, 3)
    .join(' | ');
}

/** Loads the fresh addon in a child process and checks a known count (docs/exactness.md). */
function smokeTest(file) {
  const script = `
    const a = require(${JSON.stringify(file)});
    const f = a.cpuFeatures();
    if (a.streamVersion !== 'sfc32x16-mid16/1') throw new Error('stream version ' + a.streamVersion);
    const loop = f.avx512f && f.avx512bw ? 'avx512' : f.avx2 ? 'avx2' : undefined;
    let note = 'CPU without AVX2: loaded, not run';
    if (loop) {
      const s = new Uint32Array(64);
      a.init(s, 0n, 0);
      const inside = a.run(loop, s, 625000);
      if (inside !== 7854494) throw new Error(loop + ' counted ' + inside + ' instead of 7854494 for seed 0, chunk 0, 10^7 points');
      note = loop + ' loop checked on this CPU';
    }
    process.stdout.write(JSON.stringify({ loops: a.compiledLoops(), note }));`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (run.status !== 0)
    return { ok: false, detail: (run.stderr || run.error?.message || 'unknown error').trim().split('\n').slice(-3).join(' ') };
  return { ok: true, detail: JSON.parse(run.stdout) };
}

function main() {
  rmSync(addonDir, { recursive: true, force: true }); // nothing stale survives a rebuild
  mkdirSync(addonDir, { recursive: true });
  if (mode === 'skip') finish(false, 'PIGRID_NATIVE_BUILD=skip');
  if (!['auto', 'required'].includes(mode)) finish(false, `PIGRID_NATIVE_BUILD must be auto, skip or required (got "${mode}")`);
  if (process.arch !== 'x64') finish(false, `the native kernel is x86-64 only and this is ${process.platform}/${process.arch}`);
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) finish(false, 'node-gyp (bundled with npm) was not found');
  const nodeDir = findNodeDir();
  if (!nodeDir)
    finish(false, `no Node headers beside ${process.execPath} and npm_config_nodedir is not set (node-gyp would download them)`);
  const args = [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`];
  const build = spawnSync(process.execPath, args, { cwd: nativeDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, `$ node ${args.join(' ')}\n${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? String(build.error) : ''}\n`);
  if (build.status !== 0 || !existsSync(builtFile)) {
    finish(
      false,
      `node-gyp failed (exit ${build.status ?? build.signal}): ${firstErrors(build) || 'no output'} (full log: native/build/build-addon.log)`,
    );
  }
  copyFileSync(builtFile, addonFile);
  const smoke = smokeTest(addonFile);
  if (!smoke.ok) {
    rmSync(addonFile, { force: true });
    finish(false, `the built addon failed its check: ${smoke.detail}`);
  }
  finish(true, `loops ${smoke.detail.loops.join(', ')}; ${smoke.detail.note}`);
}

main();
