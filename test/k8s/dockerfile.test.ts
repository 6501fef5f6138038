import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILT_RUNTIME_FILES, IMAGE_USER, COMPONENTS, RUNTIME_FILES } from './app-contract.js';
import { repoPath } from './render.js';
import { imageProblem } from './policy/workloads.js';

/** Dockerfile instructions, continuation lines joined, comments dropped. */
interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly body: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const ins = { op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'ARG' && stages.length === 0) {
      const [k, v] = ins.args.split('=');
      if (k && v) args[k] = v;
    } else if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args);
      const from = (m?.[1] ?? '').replace(/\$\{(\w+)\}/g, (_s, k: string) => args[k] ?? '');
      stages.push({ from, name: m?.[2], body: [] });
    } else {
      stages.at(-1)?.body.push(ins);
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
const runtime = dockerfile.stages.at(-1) as Stage;
const build = dockerfile.stages[0];
const run = (s: Stage): string =>
  s.body
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join('\n');

describe('Dockerfile', () => {
  it('builds in one stage and runs in another, both from a pinned node 20 slim image', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of dockerfile.stages) {
      expect(imageProblem(s.from), s.from).toBeUndefined();
      expect(s.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('installs with npm ci (npm 11 for allowScripts), compiles, and prunes dev dependencies', () => {
    expect(run(build)).toMatch(/npm install -g npm@11\.\d+\.\d+/);
    expect(run(build)).toMatch(/\bnpm ci\b/);
    expect(run(build)).toMatch(/npm run build/);
    expect(run(build)).toMatch(/npm prune --omit=dev/);
    expect(run(build)).toMatch(/python3.*make.*g\+\+/);
  });

  it('keeps the compiler toolchain out of the runtime image', () => {
    expect(run(runtime)).not.toMatch(/apt-get|g\+\+|python3/);
  });

  it('ships exactly what the app loads at run time: package.json, node_modules, dist, proto, gateway/public, native/addon', () => {
    const copied = runtime.body.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/).at(-1)?.replace(/^\.\//, ''));
    expect(copied.sort()).toEqual([...RUNTIME_FILES].sort());
  });

  it('copies run-time assets that exist in the repository (the rest is built)', () => {
    for (const f of RUNTIME_FILES.filter((x) => !BUILT_RUNTIME_FILES.includes(x))) expect(existsSync(repoPath(f)), f).toBe(true);
  });

  it('compiles the native kernel at npm ci: its sources are copied before npm ci runs the install script', () => {
    const copies = build.body.map((i, index) => ({ ...i, index })).filter((i) => i.op === 'COPY' || i.op === 'RUN');
    const nativeCopy = copies.find((i) => i.op === 'COPY' && /^native\s+\.\/native$/.test(i.args));
    const ci = copies.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(nativeCopy, 'COPY native ./native in the build stage').toBeDefined();
    expect(nativeCopy!.index).toBeLessThan(ci!.index);
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.install).toMatch(/^node native\/scripts\/build-addon\.mjs$/);
    // Built against the image's own Node headers, never downloaded ones.
    expect(build.body.some((i) => i.op === 'ENV' && /npm_config_nodedir=\/usr\/local/.test(i.args))).toBe(true);
  });

  it('ships only the native addon directory, never its sources, objects or a host build', () => {
    const fromBuild = runtime.body.filter((i) => i.op === 'COPY' && i.args.includes('--from=build')).map((i) => i.args.split(/\s+/)[1]);
    expect(fromBuild.filter((src) => src.startsWith('/app/native'))).toEqual(['/app/native/addon']);
  });

  it('runs as the numeric non-root user the pods expect', () => {
    const user = runtime.body.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBe(`${IMAGE_USER}:${IMAGE_USER}`);
  });

  it('starts node directly (exec form, no shell) with a component as the default argument', () => {
    const entry = runtime.body.find((i) => i.op === 'ENTRYPOINT')?.args ?? '';
    const cmd = runtime.body.find((i) => i.op === 'CMD')?.args ?? '';
    expect(JSON.parse(entry)).toEqual(['node', 'dist/main.js']);
    const [component] = JSON.parse(cmd) as string[];
    expect(COMPONENTS).toContain(component);
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('keeps host build output, dependencies and git history out of the context', () => {
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env']));
  });

  /** Docker's rule: the last pattern that matches decides; a leading "!" re-includes. */
  const isIgnored = (path: string) => {
    let out = false;
    for (const rule of ignored) {
      const negated = rule.startsWith('!');
      const p = negated ? rule.slice(1) : rule;
      if (p === path || path.startsWith(`${p}/`)) out = !negated;
    }
    return out;
  };

  it('keeps everything the build reads, including every folder tsconfig.build.json compiles', () => {
    const build = JSON.parse(readFileSync(repoPath('tsconfig.build.json'), 'utf8')) as { include: string[] };
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'main.ts',
      'proto',
      'generated',
      'scripts',
      'shared',
      'coordinator',
      'worker',
      'gateway',
      'gateway/public',
      'native',
      'native/src',
      'native/binding.gyp',
      'native/scripts',
      ...build.include.map((i) => i.replace(/\/\*.*$/, '')),
    ];
    for (const path of needed) expect(isIgnored(path), path).toBe(false);
    expect(isIgnored('test/unit')).toBe(true);
    // A host build of the addon must not overwrite the one compiled in the image.
    expect(isIgnored('native/build')).toBe(true);
    expect(isIgnored('native/addon')).toBe(true);
  });

  it('keeps tests, benchmarks and their process harness out: the production build compiles none of them', () => {
    const build = JSON.parse(readFileSync(repoPath('tsconfig.build.json'), 'utf8')) as { include: string[] };
    for (const path of ['test', 'bench', 'harness']) {
      expect(isIgnored(path), path).toBe(true);
      expect(
        build.include.some((i) => i === path || i.startsWith(`${path}/`)),
        `tsconfig.build.json compiles ${path}`,
      ).toBe(false);
    }
  });
});
