/**
 * What to do about a failure: the one table from a failed request (its class, reason and status) to
 * the fix, and the one-line errors built on it. `run`, `warm` and the model lookup all word a fix
 * the same way. Matches codes (core/errors.ts FAILURE_REASONS), never a message's words. Pure.
 */
import { EndpointError, type ErrorClass, type FailureReason } from "./errors.ts";
import { oneLine } from "./format.ts";
import type { GiveUp } from "./giveup.ts";
import type { RequestError } from "./metrics.ts";

/** Who met the failure: the load flags differ (`warm` has no --rate). */
export interface HintContext {
  command: "run" | "warm";
  /** the endpoint as shown (credentials removed) */
  endpoint: string;
  api: string;
}

/** What a hint is chosen by. */
export type Failure = { class: ErrorClass; reason?: FailureReason; status?: number | null };

const CREDENTIALS = `the server refused the credentials: pass --api-key (or set LLMBENCH_API_KEY / OPENAI_API_KEY), or --header for another scheme`;

/** The fix for a failure, in one sentence. */
export function failureHint(e: Failure, c: HintContext): string {
  const sent = `${c.command} sent the ${c.api} API's request to ${pathOf(c.endpoint)}`;
  const load = c.command === "run" ? "--rate / --concurrency" : "--concurrency";
  switch (e.class) {
    case "connect":
      if (e.reason === "dns") return `check the host name in --endpoint`;
      if (e.reason === "reset")
        return `the server closed the connection before answering: check its logs (did it crash or restart?)`;
      return `is the server running? 'llmbench serve --port ${portOf(c.endpoint)}' starts one, or pass --endpoint`;
    case "timeout":
      return `raise --timeout, lower --max-tokens or ${load}, or check that the server is generating`;
    case "http_4xx":
    case "http_5xx": {
      const status = e.status ?? 0;
      if (status === 401 || status === 403) return CREDENTIALS;
      if (status === 429) return `the server is rate-limiting: lower ${load}`;
      if (status >= 500) return `the server failed: check its logs (is the model loaded? is it overloaded?)`;
      if (status === 404) return `check the path in --endpoint and --api (${sent})`;
      return `check --endpoint, --api, --model and --extra-body (${sent})`;
    }
    case "redirect":
      return `llmbench never follows redirects (it would send the request and its credentials elsewhere): pass the final URL as --endpoint`;
    case "client":
      return `the machine running llmbench ran out of file descriptors or memory, not the server: raise the open-file limit (ulimit -n), or lower ${load}`;
    case "protocol":
      switch (e.reason) {
        case "not_http":
          return `check the host, port and scheme of --endpoint (http:// to a TLS port, or a service that does not speak HTTP)`;
        case "max_body":
          return `an answer this long is not a real one; if it is, raise --max-body (e.g. --max-body 256MiB)`;
        case "max_message":
          return `a message this long is not a real one; if it is, raise --max-message (e.g. --max-message 16MiB)`;
        case "usage":
          return `the server's usage counts are not whole token counts: a bug of the server (its answers were read as the ${c.api} API)`;
        case "server_error":
          return `the server reported an error inside its answer: check its logs`;
        default:
          return `check --api matches the server (${expectedSchema(c.api)})`;
      }
    case "aborted":
      return `nothing to fix: the request was stopped (Ctrl-C or a signal)`;
  }
}

/** The one-line error for a run (or sweep) in which no measured request succeeded: the most common failure, its fix. */
export function allFailedError(c: Omit<HintContext, "command">, failures: readonly RequestError[]): EndpointError {
  const counts = new Map<ErrorClass, number>();
  for (const e of failures) counts.set(e.class, (counts.get(e.class) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const first = failures.find((e) => e.class === top);
  if (!first) return new EndpointError(`no request completed`, `check the server`);
  const hint = failureHint(first, { ...c, command: "run" });
  const response = `; first response: ${oneLine(first.body ?? "")}`;
  switch (first.class) {
    case "connect":
      if (first.reason === "dns") return new EndpointError(`cannot reach ${c.endpoint}: ${first.message}`, hint);
      return new EndpointError(`cannot connect to ${c.endpoint}: ${first.message}`, hint);
    case "timeout":
      return new EndpointError(`every request timed out (${first.message})`, hint);
    case "http_4xx":
    case "http_5xx":
      return new EndpointError(`every request failed: ${first.message}${response}`, hint);
    case "redirect":
      return new EndpointError(`every request was redirected: ${first.message}`, hint);
    case "client":
      return new EndpointError(`no request could be sent: ${first.message}`, hint);
    case "protocol":
      if (first.reason === "not_http")
        return new EndpointError(`every answer from ${c.endpoint} was not HTTP: ${first.message}`, hint);
      if (first.reason === undefined)
        return new EndpointError(
          `every response was unreadable as the ${c.api} API: ${oneLine(first.message)}${response}`,
          hint,
        );
      return new EndpointError(`every response failed: ${oneLine(first.message)}${response}`, hint);
    case "aborted":
      return new EndpointError(`no request completed: ${first.message}`, hint);
  }
}

/** The one-line error for an answer (or a failure to send) that waiting cannot change: `warm` stops at once. */
export function unwaitableError(c: Omit<HintContext, "command">, e: RequestError): EndpointError {
  const hint = failureHint(e, { ...c, command: "warm" });
  const body = e.body ? `; the response: ${oneLine(e.body)}` : "";
  if (e.class === "redirect") return new EndpointError(`${c.endpoint} redirected the request: ${e.message}`, hint);
  if (e.class === "client")
    return new EndpointError(`warm could not send a request to ${c.endpoint}: ${e.message}`, hint);
  if (e.class === "protocol") {
    const what = e.reason === undefined ? `not in the ${c.api} API's format` : "the answer could not be used";
    return new EndpointError(`${c.endpoint} answered, but ${what}: ${oneLine(e.message)}${body}`, hint);
  }
  return new EndpointError(
    `${c.endpoint} refused the request: ${e.message}${body}`,
    `${hint}; waiting will not change this answer`,
  );
}

/** No HTTP answer at all to a request made before the run (GET /v1/models): refused, no such host, or another failure. */
export function noAnswerError(
  c: Omit<HintContext, "command">,
  e: { class: ErrorClass; reason?: FailureReason; message: string },
): EndpointError | undefined {
  const hint = failureHint(e, { ...c, command: "run" });
  if (e.reason === "refused")
    return new EndpointError(`cannot connect to ${c.endpoint}: ${e.message}`, hint, e.message);
  if (e.reason === "dns") return new EndpointError(`cannot reach ${c.endpoint}: ${e.message}`, hint, e.message);
  return undefined;
}

/** What a run that gave up on a silent server met, in one clause (the sweep's stop reason, the info line). */
export function giveUpWhat(g: GiveUp): string {
  return g.started > 0
    ? `the server began answering ${g.started} of the first ${g.wave} requests but finished none within --timeout ${g.timeoutS} s`
    : `the server accepted connections but answered none of the first ${g.wave} requests within --timeout ${g.timeoutS} s`;
}

/** The error of a run that gave up on a server that never finished an answer. */
export function giveUpError(g: GiveUp): EndpointError {
  return new EndpointError(
    `${giveUpWhat(g)}; gave up instead of waiting out the rest (the result keeps what was sent, marked incomplete)`,
    g.started > 0
      ? `check that the server ends its answers (a stream that never sends its end marker, a generation that never stops); raise --timeout if an answer really takes longer`
      : `check that the server is generating (its logs, its accelerator, a stuck queue); raise --timeout if a first answer really takes longer`,
  );
}

/** What the API expects, for a response that was not in its format. */
function expectedSchema(api: string): string {
  if (api === "generate")
    return `expected POST {"prompt", "max_tokens", "temperature"} → {"text": str, "cached": bool}`;
  return `expected the OpenAI ${api === "openai-chat" ? "chat completions" : "completions"} API`;
}

function pathOf(endpoint: string): string {
  try {
    return new URL(endpoint).pathname;
  } catch {
    return endpoint;
  }
}

function portOf(endpoint: string): string {
  try {
    return new URL(endpoint).port || "8000";
  } catch {
    return "8000";
  }
}
