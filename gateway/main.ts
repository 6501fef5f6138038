/**
 * Gateway process: the REST face of pigrid. Runs until main's root signal aborts, then closes.
 */
import { loadApiTokens } from '../shared/api-tokens.js';
import { exitOnUncaughtErrors, runCleanup, shutdownRequested } from '../shared/lifecycle.js';
import { pino, type DestinationStream } from 'pino';
import { createLogger, type Logger, type LogSettings } from '../shared/logger.js';
import { channelSecurity, loadTls } from '../shared/tls.js';
import { buildApp } from './app.js';
import { LogLines } from './log-lines.js';
import { loadGatewayConfig } from './config.js';
import { createCoordinatorClient } from './coordinator-client.js';
import { createKubeReader } from './k8s/kube-reader.js';

/** Lines the log may hold while stdout is slower than the gateway; past this it drops lines (and says so) instead of growing. */
const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * Where the gateway's JSON lines go: stdout, written asynchronously. The gateway logs a line per request (the
 * request log, gateway/request-log.ts); a synchronous write per line stops the event loop whenever the reader of
 * stdout (the container runtime, the local runner) falls behind and costs a system call per request. Lines logged
 * while a write is in flight are written together by the next one, in order, and the lines of one turn of the event
 * loop reach the writer as one string (gateway/log-lines.ts). What is left is written when the process exits
 * (process.exit included). Human lines (PIGRID_LOG_FORMAT=pretty) stay synchronous.
 */
function logDestination(settings: LogSettings): { writer: ReturnType<typeof pino.destination>; lines: LogLines } | undefined {
  if (settings.format !== 'json') return undefined;
  const writer = pino.destination({ fd: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  const lines = new LogLines(writer);
  // Registered after pino's own exit flush of the writer: the lines of the last turn follow it.
  process.on('exit', () => lines.flushSync());
  return { writer, lines };
}

const linesIn = (text: string) => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Lines dropped because stdout stayed behind by more than LOG_BUFFER_BYTES are not lost silently: a second after
 * the first drop, one warning says how many (through the same log, once it has room again).
 */
function reportDroppedLines(destination: DestinationStream & NodeJS.EventEmitter, log: Logger): void {
  let dropped = 0;
  // A drop is one turn's lines (gateway/log-lines.ts): count them.
  destination.on('drop', (text: string) => {
    const first = dropped === 0;
    dropped += linesIn(text);
    if (!first) return;
    setTimeout(() => {
      log.warn({ dropped, bufferBytes: LOG_BUFFER_BYTES }, 'stdout was too slow for the log: lines dropped');
      dropped = 0;
    }, 1_000).unref();
  });
}

export async function runGateway(shutdown: AbortSignal): Promise<void> {
  const config = loadGatewayConfig();
  const destination = logDestination(config.log);
  const log = createLogger('gateway', config.log, {}, destination?.lines);
  if (destination) reportDroppedLines(destination.writer, log);
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
  const kube = createKubeReader({ namespace: config.k8sNamespace, timeoutMs: config.k8sTimeoutMs });
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
