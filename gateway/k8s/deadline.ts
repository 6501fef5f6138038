/**
 * A deadline for one asynchronous call: the call gets an `AbortSignal` that fires at the
 * deadline, and the returned promise settles no later than the deadline even if the call
 * ignores the signal (an exec credential plugin, a token file on a hung mount).
 */

/** Thrown (and passed as the abort reason) when a {@link withDeadline} call runs out of time. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  /** Stable code, for logs. */
  readonly code = 'DEADLINE_EXCEEDED';

  constructor(
    /** The budget that was exceeded, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`deadline of ${timeoutMs} ms exceeded`);
  }
}

/**
 * Runs `run` with a signal that aborts after `timeoutMs`; rejects with
 * {@link DeadlineExceededError} at the deadline whatever `run` does.
 */
export async function withDeadline<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineExceededError(timeoutMs);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    // race() subscribes to both, so a late rejection of run() is handled, not unhandled.
    return await Promise.race([run(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
