/**
 * Gateway process: the REST face of pigrid. Runs until main's root signal aborts, then closes.
 */
import { loadApiTokens } from '../shared/api-tokens.js';
import { exitOnUncaughtErrors, runCleanup, shutdownRequested } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { channelSecurity, loadTls } from '../shared/tls.js';
import { buildApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { logDestination, reportDroppedLines } from './log-destination.js';
import { createCoordinatorClient } from './coordinator-client.js';
import { createKubeReader } from './k8s/kube-reader.js';

export async function runGateway(shutdown: AbortSignal): Promise<void> {
  const config = loadGatewayConfig();
  const destination = logDestination(config.log);
  const log = createLogger('gateway', config.log, {}, destination?.lines);
  if (destination) {
    reportDroppedLines(destination.writer, log);
    // Registered after pino's own exit flush of the writer: the lines of the last turn follow it.
    process.on('exit', () => destination.lines.flushSync());
  }
  exitOnUncaughtErrors(log);
  const tls = loadTls(config.tls, 'gateway', log);
  const tokens = loadApiTokens(config.auth, log);
  const { credentials, options } = channelSecurity(tls, {
    role: 'coordinator',
    address: config.coordinator,
    verifyHostname: true,
    onRefused: (reason) => log.error({ reason }, 'coordinator certificate refused'),
  });
  const coordinator = createCoordinatorClient(config.coordinator, config.coordinatorTimeoutMs, credentials, options);
  const kube = await createKubeReader({ namespace: config.k8sNamespace, timeoutMs: config.k8sTimeoutMs });
  const app = buildApp({ coordinator, kube, log, tokens, limits: config.limits, logRequests: config.logRequests });
  await app.listen({ host: config.host, port: config.httpPort });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.httpPort;
  log.info(
    {
      url: `http://${config.host}:${port}`,
      coordinator: config.coordinator,
      tls: tls.files ? 'mutual' : 'off',
      tokens: tokens.enabled ? 'required' : 'none',
      in_cluster: kube.inCluster,
      namespace: kube.namespace ?? undefined,
    },
    'gateway ready',
  );
  await shutdownRequested(shutdown, log);
  await runCleanup(log, [
    ['http server', () => app.close()],
    ['coordinator client', () => coordinator.close()],
    ['tls files', () => tls.close()],
    ['api tokens', () => tokens.close()],
  ]);
  log.info('gateway stopped');
}
