import { defineCommand } from "citty";
import { judge, runBenchmark } from "../app/run.ts";
import { runRepeated } from "../app/runs.ts";
import { runInWorkers, workerSide } from "../app/workers.ts";
import { autoWorkers } from "../core/workers.ts";
import { availableParallelism } from "node:os";
import type { RunOptions } from "../core/options.ts";
import { runSweep, type SweepDeps } from "../app/sweep.ts";
import { EXIT, LlmbenchError, UsageError } from "../core/errors.ts";
import { checkFlags, parseRunOptions } from "../core/options.ts";
import { checkWritable, writeOutput } from "../io/files.ts";
import { logger } from "../io/logger.ts";
import { reportOfDocument } from "../app/report.ts";
import { renderProgress, renderReport } from "../render/report.ts";
import { renderSweep } from "../render/sweep.ts";
import { emit, outputArgs, startCommand, targetArgs } from "./_shared.ts";

const args = {
  ...targetArgs,
  requests: { type: "string", alias: "n", description: "measured requests, warm-up not included (default 50)" },
  duration: { type: "string", alias: "d", description: "measure for this long instead of a number of requests: 60s, 500ms, 2m" },
  concurrency: { type: "string", alias: "c", description: "most requests in flight at once (default 5; with --rate, a cap only when given); a list or range sweeps" },
  rate: { type: "string", alias: "r", description: "open loop: requests per second, arriving at random (Poisson by default); a list or range sweeps" },
  burstiness: { type: "string", description: "gamma shape of the arrival gaps with --rate: 1 = Poisson, < 1 burstier, > 1 more even (default 1)" },
  "ramp-up": { type: "string", description: "ramp from zero to the rate or concurrency over this long, excluded from the numbers (e.g. 10s)" },
  "latency-from": { type: "string", description: "send | due: measure TTFT and latency from when a request was sent (default) or was due (with --rate)" },
  slo: { type: "string", description: "objectives, e.g. ttft_p95=200ms,tpot_p50=30ms,e2e_p99=5s; goodput counts requests meeting them; a miss exits 1" },
  cooldown: { type: "string", description: "sweeps (several --concurrency or --rate levels, e.g. 1,2,4 or 1..64x2): pause between levels" },
  "stop-on": { type: "string", description: "sweeps: stop once a level saturates: saturation, or error-rate=5%,slo,plateau=5%" },
  "repeat-ratio": { type: "string", description: "share of measured requests that repeat an earlier prompt, 0..1 (default 0.3)" },
  warmup: { type: "string", description: "requests sent first and discarded (default 5)" },
  shard: { type: "string", description: "run part INDEX/COUNT (0-based) of the workload with a shared --seed; --requests, --warmup, --concurrency and --rate are the totals; 'llmbench merge' joins the shard files" },
  workers: { type: "string", alias: "w", description: "run the load in N processes (Bun's HTTP client has one thread per process) and merge their records: a count, or auto (closed loop: one per 256 streams; --rate: one per core; at most one per core)" },
  runs: { type: "string", description: "repeat the whole measurement N times, each with its own warm-up and prompts, into one result: compare then sees run-to-run noise (default 1)" },
  records: { type: "boolean", description: "keep per-request records in the result (--no-records drops them)", default: true },
  "records-file": { type: "string", description: "write per-request records to this file as they complete (NDJSON) instead of the result: memory stays flat; percentiles still exact, from the file" },
  bounded: { type: "boolean", description: "hold nothing per request in memory: percentiles from t-digests (the result says so); for soaks of millions of requests" },
  html: { type: "string", description: "also write the result as a self-contained HTML report here (what 'llmbench report' writes)", valueHint: "file" },
  ...outputArgs,
} as const;

export const run = defineCommand({
  meta: { name: "run", description: "Run a benchmark against an endpoint, print a report, write a result JSON" },
  args,
  async run({ args: parsed, rawArgs }) {
    checkFlags(rawArgs, args, "run");
    const opts = parseRunOptions(parsed, rawArgs, process.env, () => Math.floor(Math.random() * 2 ** 31));
    // the most requests this run may hold in flight: the top level of a concurrency sweep; unbounded for an uncapped rate
    const inFlight = opts.sweep?.kind === "concurrency" ? Math.max(...opts.sweep.levels) : opts.concurrency;
    const workers = resolveWorkers(opts);
    // with workers, the requests are in flight in them (each raises its own HTTP cap), not here
    const html = typeof parsed.html === "string" && parsed.html !== "" ? parsed.html : undefined;
    // before the run: nothing measured is lost to a typo
    if (html) await checkWritable(html).catch((err) => Promise.reject(err instanceof UsageError ? new UsageError(err.message, "create the folder first, or choose another --html") : err));
    const ctx = await startCommand(opts, workers > 1 ? 0 : inFlight);
    if (!ctx) return;
    const size = opts.requests !== undefined ? `${opts.requests} requests` : `${(opts.durationMs ?? 0) / 1000} s`;
    const load = opts.rate !== undefined ? `${opts.rate} req/s${Number.isFinite(opts.concurrency) ? ` (cap ${opts.concurrency})` : ""}` : `concurrency ${opts.concurrency}`;
    ctx.info(`llmbench run: ${opts.api} ${opts.endpoint}, ${opts.sweep ? `sweep of ${opts.sweep.kind} ${opts.sweep.levels.join(",")}` : load}, ${size}${opts.runs > 1 ? ` × ${opts.runs} runs` : ""}${workers > 1 ? ` in ${workers} worker processes` : ""}, seed ${opts.seed}${opts.shard ? `, shard ${opts.shard.index}/${opts.shard.count}${opts.shard.requests !== null ? ` of ${opts.shard.requests} requests` : ""}` : ""}`);

    const deps: SweepDeps = {
      interrupt: ctx.interrupt,
      info: ctx.info,
      onProgress: ctx.live ? (p) => ctx.draw(renderProgress(p), p.done === p.total) : undefined,
      onLevel: ctx.live ? () => ctx.draw("", true) : undefined,
      onStatus: ctx.status,
    };
    // a worker of another run's --workers: its start and progress go to the parent
    const worker = workerSide(ctx.interrupt);
    if (worker) Object.assign(deps, worker.deps);
    const outcome = await (opts.sweep ? runSweep(opts, deps) : opts.runs > 1 ? runRepeated(opts, deps) : workers > 1 ? runInWorkers(opts, workers, rawArgs, deps) : runBenchmark(opts, deps))
      .catch((err) => {
        // a sweep interrupted before its first level: nothing to write, but the signal's own code
        if (err instanceof LlmbenchError && err.exitCode === EXIT.interrupted) throw new LlmbenchError(err.message, ctx.interruptCode(), err.hint);
        throw err;
      })
      .finally(() => {
        ctx.close();
        // a worker that failed says nothing more to its parent; one that finished sends its self-check first
        worker?.closeUnlessFinished();
      });
    const { doc } = outcome;
    worker?.finished(doc);
    await emit(doc, opts, doc.sweep ? renderSweep(doc) : renderReport(doc), ctx.info);
    if (html) {
      await writeOutput(html, await reportOfDocument(doc, opts.output ?? "llmbench run"));
      ctx.info(`HTML report written to ${html}`);
    }
    const verdict = judge(outcome, ctx.interruptedBy());
    for (const w of verdict.warnings) logger.warn(w);
    // the report already warns of a client bottleneck; with --json, stderr is the only place a person sees it
    if (verdict.clientWarning && opts.json) logger.warn(verdict.clientWarning);
    if (verdict.error) throw verdict.error;
    // a signal that came once the run was over (while the result was written) still gives its code
    process.exitCode = ctx.interruptedBy() ? ctx.interruptCode() : verdict.exitCode;
  },
});

/** --workers: the count, or auto's choice for this machine and load (core/workers.ts). */
function resolveWorkers(opts: RunOptions): number {
  if (opts.workers !== "auto") return opts.workers;
  const firsts = opts.requests === undefined ? undefined : opts.requests - Math.round(opts.repeatRatio * opts.requests);
  return autoWorkers({ cores: availableParallelism(), concurrency: opts.concurrency, rate: opts.rate, firsts });
}
