/**
 * `--workers N|auto`: the load of one run in N processes (Bun's fetch has one HTTP thread per
 * process, and one JavaScript thread timestamps every chunk). Each worker runs shard i/N of the
 * workload (core/shard.ts: its share of the requests and the concurrency, every N-th arrival of
 * the one sequence), all start measuring at one instant the parent sets, and the parent merges their
 * records onto one timeline. Pure.
 */
import { UsageError } from "./errors.ts";
import type { ClientCheck } from "./metrics.ts";
import type { ProgressView } from "./progress.ts";

/** In-flight requests one process holds without its own work showing in TTFT (Bun's default fetch cap). */
export const STREAMS_PER_WORKER = 256;

export type WorkersSpec = number | "auto";

export function parseWorkers(value: string | undefined): WorkersSpec {
  if (value === undefined) return 1;
  if (value.trim() === "auto") return "auto";
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < 1 || n > 1024)
    throw new UsageError(
      `--workers must be a count of processes (1 to 1024) or auto, got '${value}'`,
      `e.g. --workers 4, or --workers auto (one per core, as the load needs)`,
    );
  return n;
}

/**
 * `auto`: closed loop, one process per 256 requests in flight (the most one process holds without
 * its own queue showing in TTFT); open loop (`--rate`), one per core, since how many requests will
 * be in flight is not known before the run and sending on time is what a busy thread spoils. Never
 * more than the cores, the concurrency, or the first-time prompts (each worker needs one of each).
 */
export function autoWorkers(load: {
  cores: number;
  concurrency: number;
  rate: number | undefined;
  firsts: number | undefined;
}): number {
  const wanted = load.rate === undefined ? Math.ceil(load.concurrency / STREAMS_PER_WORKER) : load.cores;
  const cap = Math.min(
    load.cores,
    Number.isFinite(load.concurrency) ? load.concurrency : Infinity,
    load.firsts ?? Infinity,
  );
  return Math.max(1, Math.min(wanted, cap));
}

/** The live line of N workers: counts and rates add up; TTFT p50 is the workers' p50s weighted by their successes (an estimate, for the line only). */
export function combineProgress(views: readonly ProgressView[]): ProgressView {
  const sum = (f: (v: ProgressView) => number) => views.reduce((a, v) => a + f(v), 0);
  const withTtft = views.filter((v) => v.ttftP50Ms !== undefined && v.done - v.failed > 0);
  const w = withTtft.reduce((a, v) => a + v.done - v.failed, 0);
  return {
    done: sum((v) => v.done),
    total: sum((v) => v.total),
    failed: sum((v) => v.failed),
    requestsPerS: sum((v) => v.requestsPerS),
    outputTokensPerS: sum((v) => v.outputTokensPerS),
    ttftP50Ms: w > 0 ? withTtft.reduce((a, v) => a + v.ttftP50Ms! * (v.done - v.failed), 0) / w : undefined,
  };
}

/** The messages between the parent and a worker (over Bun's IPC). */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "progress"; view: ProgressView }
  /** worker → parent at the end: its self-check (event-loop lag), which the merged records cannot give */
  | { type: "client"; client: ClientCheck | undefined }
  /** parent → worker: start measuring at this wall-clock time (ms since the epoch) */
  | { type: "go"; atUnixMs: number };
