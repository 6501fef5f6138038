/**
 * A TCP proxy on loopback that can silently stop forwarding: sockets stay open, bytes stop flowing both ways, no
 * FIN, no RST - what a cut network cable or a frozen node looks like to the peers.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly address: string;
  /** Holds every byte from the target to the client this long before passing it on (a slow link). */
  delayReplies(ms: number): void;
  /** Stops forwarding on every connection, open and future, without closing anything. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const port = Number(target.slice(target.lastIndexOf(':') + 1));
  const host = target.slice(0, target.lastIndexOf(':'));
  const sockets = new Set<Socket>();
  let frozen = false;
  let replyDelayMs = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host, port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    const pipe = (from: Socket, to: Socket, delayMs: () => number) =>
      from.on('data', (chunk) => {
        if (frozen) return;
        const ms = delayMs();
        if (ms === 0) to.write(chunk);
        // Timers of equal delay fire in order, so the byte stream stays intact.
        else setTimeout(() => !frozen && !to.destroyed && to.write(chunk), ms);
      });
    pipe(client, upstream, () => 0);
    pipe(upstream, client, () => replyDelayMs);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return {
    address: `127.0.0.1:${addr.port}`,
    freeze() {
      frozen = true;
    },
    delayReplies(ms) {
      replyDelayMs = ms;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
