/** Error classes of failed requests (SPEC §4) and the exit-code table (SPEC §6). */

/**
 * connect: no response (refused, DNS, reset before a response); timeout: --timeout passed; http_4xx,
 * http_5xx: the server's error status; redirect: a 3xx (never followed); protocol: a response that
 * is not HTTP or not the API's format; client: the client's own limits (file descriptors, memory);
 * aborted: stopped by the user.
 */
export const ERROR_CLASSES = [
  "connect",
  "timeout",
  "http_4xx",
  "http_5xx",
  "redirect",
  "protocol",
  "client",
  "aborted",
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/**
 * What a failure was, finer than its class, where the fix differs: hints (core/hints.ts) match on it,
 * never on a message's words. refused: nothing listens at the port; dns: the host name does not
 * resolve; reset: the connection closed before any response byte; not_http: the answer was not HTTP;
 * max_body / max_message: the answer passed --max-body / --max-message; usage: the answer's token
 * counts were unreadable; server_error: the server reported an error inside a 200 answer.
 */
export const FAILURE_REASONS = [
  "refused",
  "dns",
  "reset",
  "not_http",
  "max_body",
  "max_message",
  "usage",
  "server_error",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** A count per error class, every class present (0 when none). */
export function countErrors(classes: Iterable<ErrorClass> = []): Record<ErrorClass, number> {
  const counts = Object.fromEntries(ERROR_CLASSES.map((c) => [c, 0])) as Record<ErrorClass, number>;
  for (const c of classes) counts[c]++;
  return counts;
}

export const EXIT = {
  ok: 0,
  /** the run finished, but an SLO or a `compare` threshold failed */
  threshold: 1,
  /** bad usage or input */
  usage: 2,
  /** `compare`: the gate cannot decide (a gated metric has only a bare ratio) — the same code as bad input: fix the input or the gate */
  undecided: 2,
  /** the endpoint could not be used: unreachable, or every request failed */
  endpoint: 3,
  /** an internal error (a bug in llmbench), never a verdict: sysexits.h's EX_SOFTWARE */
  internal: 70,
  /** interrupted by Ctrl-C (partial result written) — the shell convention 128 + SIGINT */
  interrupted: 130,
} as const;

/** The signals that stop a run the way Ctrl-C does (partial result written). */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's convention, 128 + the signal's number: 130 SIGINT, 143 SIGTERM, 129 SIGHUP. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** An error the user can act on: one line of what went wrong, and what to do. */
export class LlmbenchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad options or input files: exit 2. */
export class UsageError extends LlmbenchError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** The endpoint could not be used: exit 3. */
export class EndpointError extends LlmbenchError {
  constructor(
    message: string,
    hint?: string,
    /** the failure in a few words without the endpoint (what `warm` prints as its last attempt); else the message */
    readonly why: string = message,
  ) {
    super(message, EXIT.endpoint, hint);
  }
}

/**
 * Stopped before anything was measured (nothing to write): the stop signal's own exit code. `signal`
 * is the interrupt's abort reason (the command aborts it with the StopSignal that came).
 */
export class InterruptedError extends LlmbenchError {
  constructor(message: string, signal: unknown) {
    super(message, SIGNAL_EXIT[STOP_SIGNALS.includes(signal as StopSignal) ? (signal as StopSignal) : "SIGINT"]);
  }
}

/** A response or stream that does not follow the API's format. Counted as error class `protocol`. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  constructor(
    message: string,
    readonly reason?: FailureReason,
  ) {
    super(message);
  }
}
