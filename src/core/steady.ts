/**
 * `llmbench warm`'s pure logic: which failed answers mean "not ready yet", how long to wait between
 * attempts, when latency is steady, and warm's result document (its options: core/options/warm.ts). No I/O, no clock.
 *
 * Steady state: the last `window` successful latencies have a coefficient of variation (sample
 * standard deviation ÷ mean) of at most `maxCv`, and no downward trend: the least-squares line
 * through them falls across the window by at most `maxDrop` of their mean. A server still warming
 * up gets faster request by request: its latencies trend down even when they vary little.
 */
import type { ErrorClass } from "./errors.ts";
import { quantileSorted } from "./stats/percentiles.ts";
import type { RequestError } from "./metrics.ts";

// ---------------------------------------------------------------- readiness

export type ProbeAnswer = "ok" | "not-yet" | "fatal";

/** HTTP statuses that a server (or a proxy in front of it) gives while it cannot serve *yet*. */
const NOT_YET_4XX = new Set([408, 425, 429]);

/**
 * What one readiness attempt says. Not yet: nothing listens (or the connection broke), no answer in
 * time, 5xx (503 while loading; 502/504 from a proxy whose upstream is not up), 408/425/429.
 * Fatal — waiting cannot help: any other 4xx (401, 403, 404, 400 for a body it will never accept),
 * a 200 whose body is not the API's format (`protocol`), a redirect (never followed) and the
 * client's own limits (`client`: out of file descriptors or memory). `aborted` is the caller's own stop.
 */
export function probeAnswer(error: RequestError | null): ProbeAnswer {
  if (error === null) return "ok";
  switch (error.class) {
    case "connect":
    case "timeout":
    case "http_5xx":
      return "not-yet";
    case "http_4xx":
      return error.status !== undefined && NOT_YET_4XX.has(error.status) ? "not-yet" : "fatal";
    case "aborted":
      return "not-yet";
    case "protocol":
    // a redirect answers every time the same way (llmbench never follows it); the client's own limits are not the server's to lift
    case "redirect":
    case "client":
      return "fatal";
    default: {
      // every class is decided above: a new one must be decided here too
      const unknown: never = error.class;
      return unknown;
    }
  }
}

export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_MAX_MS = 2000;

/** Pause after failed attempt `attempt` (1-based): 100 ms, doubling, at most 2 s. */
export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, attempt - 1), BACKOFF_MAX_MS);
}

// ---------------------------------------------------------------- steady state

export interface SteadyParams {
  /** how many of the latest successful latencies are judged */
  window: number;
  /** most coefficient of variation (sample stdev ÷ mean) in the window */
  maxCv: number;
  /** most fall of the least-squares line across the window, as a share of the window's mean */
  maxDrop: number;
}

export const STEADY_DEFAULTS: SteadyParams = { window: 10, maxCv: 0.1, maxDrop: 0.05 };

export interface WindowStats {
  n: number;
  mean: number;
  median: number;
  /** sample standard deviation (n − 1) ÷ mean */
  cv: number;
  /** least-squares slope of latency against position in the window, ms per request */
  slope: number;
  /** −slope × (n − 1) ÷ mean: how much the fitted line falls across the window (negative: it rises) */
  drop: number;
}

/** Mean, median, CV and least-squares trend of a window of latencies (at least one). */
export function windowStats(xs: readonly number[]): WindowStats {
  const n = xs.length;
  if (n === 0) throw new Error("windowStats needs at least one latency");
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sorted = [...xs].sort((a, b) => a - b);
  const median = quantileSorted(sorted, 0.5);
  let ss = 0;
  let sxy = 0;
  let sxx = 0;
  const xMean = (n - 1) / 2;
  for (let i = 0; i < n; i++) {
    ss += (xs[i] - mean) ** 2;
    sxy += (i - xMean) * (xs[i] - mean);
    sxx += (i - xMean) ** 2;
  }
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const slope = sxx > 0 ? sxy / sxx : 0;
  // `+ 0` turns −0 (a flat window) into 0
  return {
    n,
    mean,
    median,
    cv: mean > 0 ? sd / mean : 0,
    slope: slope + 0,
    drop: mean > 0 ? (-slope * (n - 1)) / mean + 0 : 0,
  };
}

export interface SteadyCheck {
  steady: boolean;
  /** the last `window` latencies (fewer when there are not that many yet); null for none */
  stats: WindowStats | null;
}

/** Check the last `window` latencies (in the order the requests completed). */
export function steadyState(latencies: readonly number[], p: SteadyParams = STEADY_DEFAULTS): SteadyCheck {
  if (latencies.length === 0) return { steady: false, stats: null };
  const stats = windowStats(latencies.slice(-p.window));
  return { steady: stats.n >= p.window && stats.cv <= p.maxCv && stats.drop <= p.maxDrop, stats };
}

/** How many latencies it took to become steady: the smallest k whose last `window` pass; null if none. */
export function firstSteady(latencies: readonly number[], p: SteadyParams = STEADY_DEFAULTS): number | null {
  for (let k = p.window; k <= latencies.length; k++) if (steadyState(latencies.slice(0, k), p).steady) return k;
  return null;
}

// ---------------------------------------------------------------- the result document

export const WARM_SCHEMA = "llmbench.warm/v1";

export interface WarmPoint {
  /** request number, 1-based, in the order sent (the first successful readiness attempt is 1) */
  n: number;
  ok: boolean;
  e2e_ms: number | null;
  ttft_ms: number | null;
  error: ErrorClass | null;
}

export interface WarmDocument {
  schema: typeof WARM_SCHEMA;
  tool: { name: "llmbench"; version: string };
  /** false when warm was interrupted or stopped by an error */
  complete: boolean;
  started_at: string;
  finished_at: string;
  config: Record<string, unknown>;
  /** the endpoint answered a request successfully within --wait */
  ready: boolean;
  /** from the start of warm to the end of the first successful response */
  time_to_first_success_ms: number | null;
  /** readiness attempts, the successful one included */
  attempts: number;
  /** why warm failed: the fatal answer, or the last "not yet" when the wait ran out */
  error: string | null;
  /** the steady-state rule held */
  steady: boolean;
  /** requests completed when it first held (the first success counts as 1); null when it never did */
  requests_to_steady: number | null;
  /** E2E latency: the first successful request, and the median of the steady window (or of the last window) */
  latency_ms: { first: number | null; steady: number | null; last_window: number | null };
  ttft_ms: { first: number | null; steady: number | null; last_window: number | null };
  /** "token" or "first-byte" (non-streamed): what ttft_ms measures */
  ttft_kind: "token" | "first-byte" | null;
  /** the window judged: when steady was first reached, or the last one */
  window: WindowStats | null;
  requests: { sent: number; succeeded: number; failed: number };
  errors: Record<ErrorClass, number>;
  /** latency against request number */
  curve: WarmPoint[];
}
