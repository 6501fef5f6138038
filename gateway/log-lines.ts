/**
 * The gateway's log lines, gathered per turn of the event loop before they reach the asynchronous stdout writer
 * (SonicBoom, gateway/main.ts). Under GET load the request log writes a line per request, and SonicBoom, handed them
 * one by one, measured each line's UTF-8 length again with the whole pending chunk (`Buffer.byteLength` of up to 16
 * KB per line) and started an `fs.write` (a thread-pool round trip) for nearly every line: in a CPU profile of the
 * gateway under 64 connections of cached GETs those were ~30 % of its time with request logging on
 * (docs/performance.md "Request log lines per event-loop turn"). Lines logged in one turn (every request parsed from
 * one read of the sockets) go to the writer as one string at the end of the turn (`setImmediate`), in order; the
 * writer's own batching while a write is in flight and its 16 MB bound are unchanged.
 *
 * At exit nothing is lost: {@link LogLines.flushSync} (run on `exit`, after pino's own flush of the writer) hands
 * over what is left and writes it synchronously.
 */
import type { DestinationStream } from 'pino';

/** What the lines are written to: a SonicBoom (pino.destination) or a test's stand-in. */
export interface LineWriter extends DestinationStream {
  write(text: string): unknown;
  flushSync(): void;
}

export class LogLines implements DestinationStream {
  private readonly writer: LineWriter;
  private pending = '';
  private scheduled = false;
  private readonly flushTurn = () => {
    this.scheduled = false;
    this.handOver();
  };

  constructor(writer: LineWriter) {
    this.writer = writer;
  }

  write(line: string): void {
    this.pending += line;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushTurn);
  }

  /** Writes everything held, synchronously (at exit, when no turn of the event loop is left). */
  flushSync(): void {
    this.handOver();
    this.writer.flushSync();
  }

  private handOver(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.writer.write(text);
  }
}
