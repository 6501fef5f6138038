/**
 * The gateway loads @kubernetes/client-node (about a second of its start) only when a cluster is configured. A
 * real gateway process runs with a module hook that refuses to resolve the library: without a cluster it starts and
 * answers the K8s routes with `in_cluster: false`; with a KUBECONFIG the same hook makes its start fail, which shows
 * the hook bites.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startProcess, stopAll } from '../../harness/processes.js';
import { http } from '../../harness/rest.js';

afterEach(stopAll);

const dir = mkdtempSync(join(tmpdir(), 'pigrid-gateway-start-'));

/** `--import` file registering a resolve hook that throws for @kubernetes/client-node. */
function refuseClientNode(): string {
  const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === '@kubernetes/client-node') throw new Error('the test refuses to load @kubernetes/client-node');
  return next(specifier, context);
}`;
  const file = join(dir, 'refuse-client-node.mjs');
  writeFileSync(
    file,
    `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));\n`,
  );
  return file;
}

const gatewayEnv = { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: '127.0.0.1:9', PIGRID_INSECURE: 'true' };

it('starts without loading @kubernetes/client-node when no cluster is configured', async () => {
  const gateway = await startProcess('gateway', 'gateway', gatewayEnv, 60_000, Infinity, ['--import', refuseClientNode()]);
  const status = await http(`${gateway.ready.url}/api/k8s/status`);
  expect(status.status).toBe(200);
  expect(JSON.parse(status.text)).toMatchObject({ in_cluster: false });
});

it('loads it once a KUBECONFIG names a cluster (the same hook then stops the start)', async () => {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: test',
      'clusters: [{name: test, cluster: {server: "https://127.0.0.1:9"}}]',
      'contexts: [{name: test, context: {cluster: test, user: test}}]',
      'users: [{name: test, user: {token: t}}]',
      '',
    ].join('\n'),
  );
  await expect(
    startProcess('gateway', 'gateway', { ...gatewayEnv, KUBECONFIG: kubeconfig }, 60_000, Infinity, ['--import', refuseClientNode()]),
  ).rejects.toThrow(/refuses to load @kubernetes\/client-node/);
});
