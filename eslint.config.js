// ESLint (flat config): typescript-eslint's type-aware recommended rules on every TypeScript file, tests included,
// and the folder boundaries of the layout (README, "Layout").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A `no-restricted-imports` pattern for relative imports that reach into the top-level `folder`. */
const into = (folder, why) => ({ group: [`**/${folder}/*`, `**/${folder}`], message: `${folder}/: ${why}` });

const NOT_TOOLS = [
  into('test', 'production code, benchmarks and the harness never import tests'),
  into('bench', 'benchmarks are not shipped'),
  into('harness', 'the process harness is for tests and benchmarks, never shipped'),
];

/**
 * The layout's import rules (README, "Layout"): main → adapters → core; coordinator and worker share the kernel,
 * never each other; the gateway reaches the coordinator only through gRPC; shared/ depends on no component; the CLI
 * and the local runner are programs of their own (they talk to pigrid over HTTP and a control socket).
 */
function boundaries() {
  const rule = (files, ignores, patterns) => ({ files, ignores, rules: { 'no-restricted-imports': ['error', { patterns }] } });
  const components = ['coordinator', 'worker', 'kernel', 'native', 'gateway'];
  const others = (...allowed) => components.filter((c) => !allowed.includes(c)).map((c) => into(c, 'not a dependency of this folder'));
  return [
    rule(
      ['coordinator/core/**/*.ts'],
      [],
      [
        {
          group: ['node:*', 'better-sqlite3', '@grpc/*', 'fastify', 'piscina', 'prom-client'],
          message: 'the core does no I/O: define a port in the core, implement it outside',
        },
        { group: ['../store/*', '../rpc/*', '../discovery/*', '../*.js'], message: 'the core depends on nothing else in the coordinator' },
        ...others(),
        ...NOT_TOOLS,
      ],
    ),
    rule(['coordinator/**/*.ts'], ['coordinator/core/**'], [...others('coordinator', 'kernel'), ...NOT_TOOLS]),
    rule(['worker/**/*.ts'], [], [...others('worker', 'kernel'), ...NOT_TOOLS]),
    // The native kernel is a kernel: it may be chosen by kernel/index.ts and builds on the kernel's stream definition.
    rule(['kernel/**/*.ts', 'native/**/*.ts'], [], [...others('kernel', 'native'), ...NOT_TOOLS]),
    rule(['gateway/**/*.ts'], [], [...others('gateway'), ...NOT_TOOLS]),
    rule(['shared/**/*.ts'], [], [...others(), ...NOT_TOOLS]),
    rule(['main.ts', 'scripts/**/*.ts', 'cli/**/*.ts'], [], NOT_TOOLS),
    rule(['bench/**/*.ts', 'harness/**/*.ts'], [], [NOT_TOOLS[0]]),
  ];
}

export default tseslint.config(
  { ignores: ['dist/**', 'generated/**', 'node_modules/**', 'bench-out/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A floating promise is a lost error; `void` marks the deliberate ones.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function without await is how a Promise-returning contract is met (Fastify handlers, fakes).
      '@typescript-eslint/require-await': 'off',
      // A `let` read by a callback created before its one assignment cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Templates format numbers and booleans all over the logs and messages; that is intended.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    // Plain JS (this file, build scripts, the dashboard page) has no types to check against.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    // The dashboard's script runs in the browser (served as is, no build step).
    files: ['gateway/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'EventSource',
          'URLSearchParams',
          'URL',
          'console',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'requestAnimationFrame',
          'ResizeObserver',
          'matchMedia',
          'performance',
          'uPlot',
          'Intl',
          'sessionStorage',
          'AbortController',
          'TextDecoderStream',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // Tests and the harness read JSON answers as `any` on purpose: the assertions are the type check.
    files: ['test/**/*.ts', 'harness/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // ---- boundaries: each file matches exactly one of these (a later no-restricted-imports would replace, not merge) --
  ...boundaries(),
);
