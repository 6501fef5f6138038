/**
 * Exit codes of the `pigrid` CLI (README "Command line"). Scripts can tell "the gateway is down" from "it refused
 * my request" from "the calculation failed".
 */
export const ExitCode = {
  /** Done; a watched calculation completed. */
  OK: 0,
  /** A watched calculation ended failed or cancelled. */
  CALCULATION_NOT_COMPLETED: 1,
  /** Bad command line (unknown command or option, a value that is not a number). */
  USAGE: 2,
  /** The gateway (or the local runner's control socket) cannot be reached or does not answer in time. */
  UNREACHABLE: 3,
  /** The gateway refused the request (4xx: invalid input, unknown id). */
  REFUSED: 4,
  /** The gateway answered with a server error (5xx: coordinator unavailable, internal error). */
  SERVER_ERROR: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the CLI with a message on stderr and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The gateway's error code (INVALID_ARGUMENT, NOT_FOUND, COORDINATOR_UNAVAILABLE, ...), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
