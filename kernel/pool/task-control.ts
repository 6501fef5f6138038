/**
 * Shared-memory control of the chunks a kernel pool has posted to its threads: one slot per chunk in a
 * SharedArrayBuffer that the main thread and every pool thread see. A pool task carries a run of chunks, each with its
 * own slot (a run takes a block of consecutive slots). A thread claims a chunk before running it (QUEUED -> STARTED, with its threadId beside it) and marks it
 * DONE when the kernel call is over (computed, failed or stopped); the main thread withdraws a chunk nobody has
 * started (QUEUED -> WITHDRAWN, the thread then skips it and goes on with the rest of its run) or asks a started one
 * to stop (STARTED -> STOP, the kernel polls it between pieces of 2^24 points). Compare-and-swap on both sides makes
 * "started or not" exact, chunk by chunk, which is what a draining worker needs to hand back exactly the chunks it has
 * not started.
 *
 * Why not piscina's AbortSignal: piscina never posts a second task to a thread that runs an abortable one
 * (`isRunningAbortableTask`), so with signals each thread would again wait for the main thread between chunks; and
 * aborting a started task terminates its thread. The pool keeps termination only as a fallback (kernel-pool.ts).
 */
export const SlotState = { QUEUED: 0, STARTED: 1, WITHDRAWN: 2, STOP: 3, DONE: 4 } as const;

/** Int32 fields per slot: state, threadId of the thread that started it. */
const FIELDS = 2;

export class TaskControl {
  readonly buffer: SharedArrayBuffer;
  /** Slots per block: a pool task (run) takes one block, its chunk k slot `block + k`. */
  readonly blockSize: number;
  private readonly cells: Int32Array;
  private readonly free: number[];

  constructor(blocks: number, blockSize: number) {
    this.blockSize = blockSize;
    this.buffer = new SharedArrayBuffer(blocks * blockSize * FIELDS * Int32Array.BYTES_PER_ELEMENT);
    this.cells = new Int32Array(this.buffer);
    this.free = Array.from({ length: blocks }, (_, i) => (blocks - 1 - i) * blockSize);
  }

  /**
   * A block for a run of `count` chunks (1..blockSize), its first `count` slots QUEUED: the first slot, or undefined
   * when every block is in use.
   */
  acquire(count: number): number | undefined {
    const first = this.free.pop();
    if (first !== undefined) for (let k = 0; k < count; k++) this.queue(first + k);
    return first;
  }

  /** Gives a block back once its run has settled (no thread refers to its slots any more). */
  release(first: number): void {
    this.free.push(first);
  }

  state(slot: number): number {
    return Atomics.load(this.cells, slot * FIELDS);
  }

  /** threadId of the pool thread that started the chunk, or -1. */
  thread(slot: number): number {
    return Atomics.load(this.cells, slot * FIELDS + 1);
  }

  /** Withdraws a chunk no thread has started; true when it is now guaranteed never to run. */
  withdraw(slot: number): boolean {
    return Atomics.compareExchange(this.cells, slot * FIELDS, SlotState.QUEUED, SlotState.WITHDRAWN) === SlotState.QUEUED;
  }

  /** Asks a started chunk to stop at the kernel's next poll; true when it was running. */
  requestStop(slot: number): boolean {
    return Atomics.compareExchange(this.cells, slot * FIELDS, SlotState.STARTED, SlotState.STOP) === SlotState.STARTED;
  }

  /**
   * Sets a slot QUEUED, claimed by no thread: for a new chunk, and for a chunk posted anew because the thread that had
   * it died (no thread refers to the slot then; a chunk it finished without reporting runs again).
   */
  queue(slot: number): void {
    Atomics.store(this.cells, slot * FIELDS, SlotState.QUEUED);
    Atomics.store(this.cells, slot * FIELDS + 1, -1);
  }
}

/** The pool thread's view of the same buffer (pi-task.ts). */
export class TaskControlView {
  /** The buffer's cells, for the native run loop (native/src/chunks.c), which claims and finishes slots itself. */
  readonly cells: Int32Array;
  /** Slots in the buffer. */
  readonly slots: number;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
    this.slots = this.cells.length / FIELDS;
  }

  /** Claims a chunk for this thread: false when it was withdrawn first. */
  claim(slot: number, threadId: number): boolean {
    if (Atomics.compareExchange(this.cells, slot * FIELDS, SlotState.QUEUED, SlotState.STARTED) !== SlotState.QUEUED) return false;
    Atomics.store(this.cells, slot * FIELDS + 1, threadId);
    return true;
  }

  stopRequested(slot: number): boolean {
    return Atomics.load(this.cells, slot * FIELDS) === SlotState.STOP;
  }

  /** The kernel call of a claimed chunk is over (computed, failed or stopped): the thread has moved on from it. */
  finish(slot: number): void {
    Atomics.store(this.cells, slot * FIELDS, SlotState.DONE);
  }
}
