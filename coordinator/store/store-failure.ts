/**
 * A store that cannot be written (read-only file, disk full, I/O error) stops the coordinator. Going on would keep
 * state in memory that the store lacks; stopping loses nothing, because every scheduling step is one transaction
 * and a restart resumes from what was committed (exactly like a restart after SIGKILL).
 *
 * - `failFastWrites` wraps the store: the first failed write is turned into a STORE_UNAVAILABLE error (the SQLite
 *   error as its cause) and every later write fails at once with it, so nothing commits after a failure.
 * - `createStoreFailureHandler` is the engine's `onStoreFailure`: it logs one line naming the cause, the database
 *   and the calculations, lets the server answer the calls in flight, then exits non-zero.
 */
import { ErrorCode, PigridError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { CalculationStore } from '../core/store-port.js';

/** Exit code of a coordinator stopped by a store it cannot write (sysexits EX_IOERR). */
export const STORE_FAILURE_EXIT_CODE = 74;

/** What a client is told; the cause goes to the log only. */
const CLIENT_MESSAGE = 'the coordinator cannot write its database and is stopping; nothing committed is lost: retry after it restarts';

/** True for the error a store write throws once the store has failed (already reported; the process is stopping). */
export function isStoreUnavailable(err: unknown): err is PigridError {
  return err instanceof PigridError && err.code === ErrorCode.STORE_UNAVAILABLE;
}

/** The SQLite (or Node fs) error code and message of a store error, its cause looked through. */
export function describeStoreError(err: unknown): { code: string; message: string } {
  const cause = isStoreUnavailable(err) && err.cause !== undefined ? err.cause : err;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : cause.name, message: cause.message };
  }
  return { code: 'UNKNOWN', message: String(cause) };
}

/** The one line that explains a failed write: cause, database, what to do. */
export function storeWriteFailureMessage(err: unknown, dbPath: string): string {
  const { code, message } = describeStoreError(err);
  return `fatal store write failed: ${code} ${message} (db=${dbPath}) — the coordinator stops; fix the cause and restart: nothing committed is lost`;
}

/** The one line that explains why the store could not be opened at start. */
export function storeOpenFailureMessage(err: unknown, dbPath: string): string {
  const { code, message } = describeStoreError(err);
  return `fatal store open failed: ${code} ${message} (db=${dbPath}) — the coordinator cannot start; make the database file and its directory writable (and free disk space), then restart`;
}

/** Wraps a store so that a failed write is final: it and every later write throw STORE_UNAVAILABLE. Reads go on. */
export function failFastWrites<S extends CalculationStore>(store: S): S {
  let failure: PigridError | undefined;
  const write = <T>(fn: () => T): T => {
    if (failure) throw failure;
    try {
      return fn();
    } catch (err) {
      failure = new PigridError(ErrorCode.STORE_UNAVAILABLE, CLIENT_MESSAGE, undefined, { cause: err });
      throw failure;
    }
  };
  return {
    ...store,
    insert: (rec) => write(() => store.insert(rec)),
    apply: (step) => write(() => store.apply(step)),
    // Creates the secret on first use: a write.
    secret: (name, create) => write(() => store.secret(name, create)),
  };
}

export interface StoreFailureOptions {
  readonly dbPath: string;
  readonly log: Logger;
  /**
   * Stops answering: returns a promise that settles once the calls in flight are answered (the server closed), or
   * undefined if there is nothing to wait for. It must not write to the store.
   */
  readonly stop: () => Promise<unknown> | undefined;
  readonly exit: (code: number) => void;
}

export type StoreFailureHandler = (err: unknown, context: { readonly op: string; readonly calculationIds: readonly string[] }) => void;

/** The coordinator service's onStoreFailure: one log line, then stop and exit with STORE_FAILURE_EXIT_CODE. Later calls are quiet. */
export function createStoreFailureHandler(opts: StoreFailureOptions): StoreFailureHandler {
  let reported = false;
  return (err, { op, calculationIds }) => {
    if (reported) {
      opts.log.debug({ op, calculationIds }, 'store write refused: the coordinator is stopping');
      return;
    }
    reported = true;
    const { code } = describeStoreError(err);
    const cause = isStoreUnavailable(err) ? err.cause : err;
    opts.log.error(
      { code, db: opts.dbPath, op, calculationIds, err: cause instanceof Error ? cause : undefined },
      storeWriteFailureMessage(err, opts.dbPath),
    );
    const stopping = opts.stop();
    if (!stopping) {
      opts.exit(STORE_FAILURE_EXIT_CODE);
      return;
    }
    void stopping.then(
      () => opts.exit(STORE_FAILURE_EXIT_CODE),
      () => opts.exit(STORE_FAILURE_EXIT_CODE),
    );
  };
}
