/**
 * What a finished `run` means for the user — a single run, `--runs N` or a sweep alike: the warnings,
 * the error, and the exit code of SPEC §6. The one place `run`'s exit code is decided.
 */
import { EndpointError, EXIT, SIGNAL_EXIT, type StopSignal } from "../core/errors.ts";
import { allFailedError, failureHint, giveUpError } from "../core/hints.ts";
import type { RunOutcome } from "./run.ts";

export interface Conclusion {
  exitCode: number;
  warnings: string[];
  /** the client was a bottleneck (the report says so too) */
  clientWarning?: string;
  /** thrown by the command: nothing succeeded, or the endpoint went away */
  error?: EndpointError;
}

/**
 * The conclusion of a finished run. `signal` is the stop signal, if one came — at any time, even once
 * the run was over (while the result was written): its exit code replaces any but an error's.
 */
export function concludeRun(outcome: RunOutcome, signal?: StopSignal): Conclusion {
  const { doc } = outcome;
  const summaries = doc.sweep ? doc.sweep.levels.map((l) => l.summary) : [doc.summary];
  const warnings: string[] = [];
  const failed = summaries.reduce((a, s) => a + s.requests.failed, 0);
  const sent = summaries.reduce((a, s) => a + s.requests.sent, 0);
  const succeeded = sent - failed;
  const distorted = summaries.map((s, i) => ({ s, i })).filter(({ s }) => s.client?.distorted);
  let clientWarning: string | undefined;
  if (doc.sweep && distorted.length > 0) {
    const names = distorted.map(({ i }) => String(doc.sweep!.levels[i].concurrency ?? doc.sweep!.levels[i].rate));
    clientWarning = `the client's own lag exceeded 5% of TTFT p50 at ${doc.sweep.kind} ${names.join(", ")}: ${names.length > 1 ? "those levels include" : "that level includes"} client delay (see summary.client)`;
  } else if (distorted.length > 0) clientWarning = distorted[0].s.client!.reason!;
  const conclusion = (exitCode: number, error?: EndpointError): Conclusion => ({
    exitCode: signal && !error ? SIGNAL_EXIT[signal] : exitCode,
    warnings,
    clientWarning,
    error,
  });

  // an interruption is an interruption, whatever had finished by then
  if (outcome.interrupted) {
    warnings.push(
      `interrupted${signal ? ` by ${signal}` : ""}: the result covers what finished (marked "complete": false)`,
    );
    return conclusion(EXIT.interrupted);
  }
  if (outcome.gaveUp) return conclusion(EXIT.endpoint, giveUpError(outcome.gaveUp));
  const endpoint = { endpoint: String(doc.config.endpoint), api: String(doc.config.api) };
  if (succeeded === 0)
    return conclusion(
      EXIT.endpoint,
      allFailedError(
        endpoint,
        outcome.records.flatMap((r) => (r.error ? [r.error] : [])),
      ),
    );
  if (outcome.unreachable) {
    return conclusion(
      EXIT.endpoint,
      new EndpointError(
        `the server stopped accepting connections after ${succeeded} successful requests; the run stopped there (the result keeps what was measured, marked incomplete)`,
        `check the server (did it crash or restart?) and run again`,
      ),
    );
  }
  if (failed > 0) warnings.push(`${failed} of ${sent} requests failed; see errors in the report`);
  const clientFailed = summaries.reduce((a, s) => a + (s.errors.client ?? 0), 0);
  if (clientFailed > 0)
    warnings.push(
      `${clientFailed} requests failed on the client's own limits, not the server's: ${failureHint({ class: "client" }, { ...endpoint, command: "run" })}`,
    );
  // a single run must meet its SLOs; a sweep must have at least one level that does (finding the edge is its point)
  const sloMissed = doc.sweep
    ? summaries.every((s) => s.slo && !s.slo.passed)
    : doc.summary.slo && !doc.summary.slo.passed;
  if (sloMissed) {
    const terms = summaries.flatMap((s) => s.slo!.terms);
    const missed = [
      ...new Set(terms.filter((t) => t.status === "missed" || (!t.status && !t.passed)).map((t) => t.name)),
    ];
    const unmeasured = [...new Set(terms.filter((t) => t.status === "not measured").map((t) => t.name))];
    if (missed.length > 0) {
      warnings.push(doc.sweep ? `no level of the sweep met the SLOs` : `SLO missed: ${missed.join(", ")}`);
      return conclusion(EXIT.threshold);
    }
    // nothing missed, but a term could not be checked: the server did not give what the metric needs (a stream)
    return conclusion(
      EXIT.endpoint,
      new EndpointError(
        `--slo ${unmeasured.join(", ")} not measured: the server's answers had no ${unmeasured.map((n) => n.split("_")[0].toUpperCase()).join("/")} to measure (not streamed, or one token each); the SLO is neither met nor missed`,
        `check that the server streams (${endpoint.api} with stream: true) and generates more than one token, or drop ${unmeasured.join(", ")} from --slo`,
      ),
    );
  }
  return conclusion(EXIT.ok);
}
