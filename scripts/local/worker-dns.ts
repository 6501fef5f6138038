/**
 * The local run's stand-in for the cluster DNS: a tiny DNS server on 127.0.0.1 (UDP and TCP, one port) that serves
 * the workers as a Kubernetes headless Service does: SRV `_grpc._tcp.<service>` → one target per ready worker, an A
 * record 127.0.0.1 for each target. The coordinator finds its workers through the same DNS discovery it uses in a
 * cluster (PIGRID_WORKER_SERVICE + PIGRID_DNS_SERVER), so workers that the runner adds, restarts or removes come and
 * go the way pods do. Answers have TTL 0; an unknown name is NXDOMAIN (no ready workers: an empty set).
 */
import type { Socket } from 'node:net';
import dns2, { Packet, type Question, type Resource } from 'dns2';

export interface WorkerDns {
  /** `127.0.0.1:<port>`, for PIGRID_DNS_SERVER. */
  readonly address: string;
  /** The Service name, for PIGRID_WORKER_SERVICE. */
  readonly service: string;
  /** Replaces the endpoints: `name` becomes `<name>.<service>`. */
  setEndpoints(endpoints: readonly { name: string; port: number }[]): void;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const RCODE_NXDOMAIN = 3;

/**
 * Starts the server. `report` is told of requests it could not read or answer (the client retries, as with a real
 * server, so they are notices, not failures).
 */
export async function startWorkerDns(
  report: (problem: string) => void,
  service = 'workers.pigrid.local',
  portName = 'grpc',
): Promise<WorkerDns> {
  let srv: { target: string; port: number }[] = [];
  const srvName = `_${portName}._tcp.${service}`;
  const sockets = new Set<Socket>();

  const handle = (request: Packet, send: (r: Packet) => unknown): void => {
    const question: Question | undefined = request.questions[0];
    const name = (question?.name ?? '').toLowerCase().replace(/\.$/, '');
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const make = (fields: Partial<Resource>): Resource =>
      Packet.createResourceFromQuestion(question, { ttl: 0, class: Packet.CLASS.IN, ...fields });
    if (question && name === srvName && srv.length > 0) {
      if (question.type === Packet.TYPE.SRV)
        response.answers = srv.map((s) => make({ type: Packet.TYPE.SRV, target: s.target, port: s.port, priority: 0, weight: 10 }));
    } else if (question && srv.some((s) => s.target === name)) {
      if (question.type === Packet.TYPE.A) response.answers = [make({ type: Packet.TYPE.A, address: LOOPBACK })];
    } else response.header.rcode = RCODE_NXDOMAIN;
    const failed = (err: unknown) => report(`worker DNS: answering ${name || '(no question)'} failed: ${String(err)}`);
    try {
      void Promise.resolve(send(response)).catch(failed);
    } catch (err) {
      failed(err);
    }
  };

  const { udp, tcp, port } = await listenDnsOnOnePort(handle, sockets, (err) => report(`worker DNS: unreadable request: ${String(err)}`));
  let closed: Promise<void> | undefined;
  return {
    address: `${LOOPBACK}:${port}`,
    service,
    setEndpoints(endpoints) {
      srv = endpoints.map((e) => ({ target: `${e.name.toLowerCase()}.${service}`, port: e.port }));
    },
    close() {
      closed ??= (async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
      })();
      return closed;
    },
  };
}

type Transport = 'udp' | 'tcp';

/**
 * Binds a DNS server on 127.0.0.1: UDP on a random port, then TCP on the same number (large answers are truncated on
 * UDP and c-ares asks again over TCP on the same port), retrying when another process holds that TCP port. Open TCP
 * connections are tracked in `sockets` so close() can end them. Requests the library cannot parse go to
 * `onRequestError`.
 */
export async function listenDnsOnOnePort(
  handle: (request: Packet, send: (response: Packet) => unknown, transport: Transport) => void,
  sockets: Set<Socket>,
  onRequestError: (err: unknown) => void,
): Promise<{ udp: InstanceType<typeof dns2.UDPServer>; tcp: InstanceType<typeof dns2.TCPServer>; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dns2.createUDPServer({ type: 'udp4' });
    udp.on('request', (req, send) => handle(req, send, 'udp'));
    udp.on('requestError', onRequestError);
    await udp.listen(0, LOOPBACK);
    const port = udp.address().port;
    const tcp = dns2.createTCPServer((req, send) => handle(req, send, 'tcp'));
    tcp.on('requestError', onRequestError);
    tcp.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, LOOPBACK, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port };
    } catch (err) {
      udp.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw err;
    }
  }
}
