/**
 * `run --workers N`: the parent starts N processes of this program, each running shard i/N of
 * the workload (`--shard i/N` with the run's seed: its share of the requests and concurrency, every
 * N-th arrival of the one sequence), waits until every one has warmed up, tells them all one
 * wall-clock instant to start measuring, shows their combined progress, and merges their records
 * exactly onto one timeline (core/merge.ts). The result has the form of a single run's, with
 * `config.workers`.
 */
import { EXIT, LlmbenchError, SIGNAL_EXIT } from "../core/errors.ts";
import type { ClientCheck, RawRecord } from "../core/metrics.ts";
import type { RunOptions } from "../core/options.ts";
import { argvWithout } from "../core/options/argv.ts";
import { RUN_FLAGS } from "../core/options/run.ts";
import type { ProgressView } from "../core/progress.ts";
import type { ResultDocument } from "../core/result.ts";
import { shardLoad } from "../core/shard.ts";
import { combineProgress, type WorkerMessage } from "../core/workers.ts";
import { MAX_CAP } from "../io/http-cap.ts";
import { parentChannel, startWorker, workerDir, type WorkerProcess } from "../io/workers.ts";
import { runMerge } from "./merge.ts";
import type { RunDeps, RunOutcome } from "./run.ts";

/** How far ahead of now the parent sets the common start: every worker hears of it before it comes. */
const START_MARGIN_MS = 50;
/** A worker's progress message at most this often. */
const PROGRESS_EVERY_MS = 100;

/** Flags the parent sets for its workers itself (dropped from what the user gave, with their values, however written). */
const OWN_FLAGS = new Set(["workers", "shard", "output", "seed", "html", "json", "records", "quiet"]);

/** The user's `run` arguments without the flags the parent decides for each worker. */
export function workerArgs(rawArgs: readonly string[]): string[] {
  return argvWithout(rawArgs, RUN_FLAGS, OWN_FLAGS);
}

export async function runInWorkers(
  opts: RunOptions,
  n: number,
  rawArgs: readonly string[],
  deps: RunDeps = {},
): Promise<RunOutcome> {
  // a split that leaves a worker nothing to do is refused here, before any process starts
  shardLoad(
    { index: 0, count: n },
    { requests: opts.requests, warmup: opts.warmup, repeatRatio: opts.repeatRatio, concurrency: opts.concurrency },
  );
  const dir = workerDir();
  let keep = false;
  const base = workerArgs(rawArgs);
  // each worker holds its share of the streams: raise Bun's per-process cap where that share passes it
  const share = Number.isFinite(opts.concurrency) ? Math.ceil(opts.concurrency / n) : MAX_CAP;
  const env = {
    LLMBENCH_WORKER: "1",
    LLMBENCH_REEXEC: "1",
    BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.min(MAX_CAP, Math.max(256, share))),
  };
  const views: ProgressView[] = [];
  const clients: Array<ClientCheck | undefined> = [];
  let ready = 0;
  const workers: WorkerProcess[] = [];
  const go = () => {
    if (++ready !== n) return;
    const msg: WorkerMessage = { type: "go", atUnixMs: Date.now() + START_MARGIN_MS };
    for (const w of workers) w.send(msg);
  };
  for (let i = 0; i < n; i++) {
    const args = [
      "run",
      ...base,
      "--seed",
      String(opts.seed),
      "--shard",
      `${i}/${n}`,
      "--output",
      dir.file(i),
      "--quiet",
    ];
    workers.push(
      startWorker(args, env, (msg) => {
        if (msg.type === "ready") go();
        else if (msg.type === "progress") {
          views[i] = msg.view;
          deps.onProgress?.(combineProgress(views.filter(Boolean)));
        } else if (msg.type === "client") clients[i] = msg.client;
      }),
    );
  }
  // a worker that ends before it is ready (it could not start, or stopped) must not hold the others back
  // one that ends with no result (killed, crashed) stops the others: the run cannot be whole, and their partial results are kept
  const ends = workers.map((w, i) =>
    w.exited.then((r) => {
      if (ready < n) go();
      if (!dir.has(i)) for (const other of workers) if (other !== w) other.kill("SIGTERM");
      return r;
    }),
  );
  // Ctrl-C reaches every process of the terminal's group; a signal sent to this process alone is passed on
  const forward = () => {
    const signal = (typeof deps.interrupt?.reason === "string" ? deps.interrupt.reason : "SIGINT") as NodeJS.Signals;
    for (const w of workers) w.kill(signal);
  };
  deps.interrupt?.addEventListener("abort", forward, { once: true });
  try {
    const results = await Promise.all(ends);
    deps.interrupt?.removeEventListener("abort", forward);
    // a worker that wrote no result stopped before measuring (an error at start, a bug): its own words and code
    const files: string[] = [];
    for (const [i, r] of results.entries()) {
      if (!dir.has(i)) {
        const killed = r.code > 128 && !r.stderr;
        const why =
          r.stderr.split("\n")[0]?.replace(/^llmbench: (error: )?/, "") ||
          (killed ? `killed by signal ${r.code - 128}, with no message` : "no message");
        // what the other workers measured is kept, never lost with the run
        const kept = results.some((_, k) => k !== i && dir.has(k));
        if (kept) keep = true;
        throw new LlmbenchError(
          `worker ${i} of ${n} stopped with exit code ${r.code} and no result: ${why}`,
          r.code === 0 ? EXIT.internal : r.code,
          `${killed ? "something outside llmbench killed it (the out-of-memory killer? see dmesg)" : "run without --workers to see the whole message"}${kept ? `; the other workers' results are in ${dir.path}` : ""}`,
        );
      }
      files.push(dir.file(i));
    }
    const merged = await runMerge(files, false);
    const doc = asOneRun(merged, opts, n, clients);
    const interrupted =
      deps.interrupt?.aborted === true || results.some((r) => Object.values(SIGNAL_EXIT).includes(r.code as 130));
    return {
      doc,
      interrupted,
      unreachable: !doc.complete && !interrupted,
      records: (merged.requests ?? []) as unknown as RawRecord[],
    };
  } finally {
    deps.interrupt?.removeEventListener("abort", forward);
    if (!keep) dir.remove();
  }
}

/** The merged shards as the result of one run: its config (with `workers`), its options, one note on how it ran. */
function asOneRun(
  merged: ResultDocument,
  opts: RunOptions,
  n: number,
  clients: ReadonlyArray<ClientCheck | undefined>,
): ResultDocument {
  const { shards: _s, ...config } = merged.config;
  const { shards: _f, ...doc } = merged;
  // the client's self-check of the busiest worker: a bottleneck in one process is one of the run (the report warns of it)
  const client = clients
    .filter((c) => c !== undefined)
    .sort((a, b) => (b.event_loop_lag_ms?.p99 ?? 0) - (a.event_loop_lag_ms?.p99 ?? 0))[0];
  return {
    ...doc,
    config: { ...config, output: opts.output ?? null, records: opts.records, workers: n },
    summary: { ...merged.summary, client },
    notes: [
      `run in ${n} worker processes (--workers), each with its share of the requests and concurrency (and every ${n}-th arrival with --rate), started together; their records merged onto one timeline`,
      ...merged.notes.slice(1).filter((x) => !(client && / shards: /.test(x) && x.includes(client.reason ?? "\u0000"))),
    ],
    requests: opts.records ? merged.requests : null,
  };
}

/**
 * The worker's side: tell the parent when warmed up, start at its instant, send progress.
 * Undefined when this process is not a worker.
 */
export function workerSide(
  interrupt: AbortSignal | undefined,
):
  | { deps: Pick<RunDeps, "startAt" | "onProgress">; finished(doc: ResultDocument): void; closeUnlessFinished(): void }
  | undefined {
  const channel = parentChannel();
  if (!channel) return undefined;
  let last = 0;
  let pending: ProgressView | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    if (pending) channel.send({ type: "progress", view: pending });
    pending = undefined;
    last = performance.now();
  };
  let closed = false;
  let disconnected = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    if (pending) channel.send({ type: "progress", view: pending });
  };
  return {
    deps: {
      startAt: () =>
        new Promise<number>((resolve) => {
          channel.onMessage((msg) => {
            if (msg.type === "go") resolve(msg.atUnixMs - performance.timeOrigin);
          });
          interrupt?.addEventListener("abort", () => resolve(performance.now()), { once: true });
          channel.send({ type: "ready" });
        }),
      // off the hot path: at most one message every PROGRESS_EVERY_MS, the latest view
      onProgress: (view) => {
        pending = view;
        const wait = last + PROGRESS_EVERY_MS - performance.now();
        if (wait <= 0 && !timer) flush();
        else timer ??= setTimeout(flush, Math.max(0, wait));
      },
    },
    finished(doc) {
      close();
      if (disconnected) return;
      channel.send({ type: "client", client: doc.summary.client });
      disconnected = true;
      channel.close();
    },
    closeUnlessFinished() {
      // the run settled: the last progress goes now; finished() follows within the same turn unless the run failed
      close();
      setTimeout(() => {
        if (disconnected) return;
        disconnected = true;
        channel.close();
      }, 0);
    },
  };
}
