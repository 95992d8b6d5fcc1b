import { defineCommand } from "citty";
import { startCommand } from "../app/command.ts";
import { concludeRun } from "../app/conclusion.ts";
import { emit } from "../app/emit.ts";
import { runBenchmark } from "../app/run.ts";
import { withTrace } from "../app/trace.ts";
import { runRepeated } from "../app/runs.ts";
import { prepareTokenizer } from "../app/target.ts";
import { runInWorkers, workerSide } from "../app/workers.ts";
import { autoWorkers } from "../core/workers.ts";
import { availableParallelism } from "node:os";
import { runSweep, type SweepDeps } from "../app/sweep.ts";
import { UsageError } from "../core/errors.ts";
import { cittyArgs } from "./args.ts";
import { parseRunOptions, publicConfig, RUN_FLAGS, type RunOptions } from "../core/options/run.ts";
import { loadText, sizeText } from "../render/rows.ts";
import { checkWritable, writeOutput } from "../io/files.ts";
import { logger } from "../io/logger.ts";
import { reportOfDocument } from "../app/report.ts";
import { renderProgress, renderReport } from "../render/report.ts";
import { renderSweep } from "../render/sweep.ts";

export const run = defineCommand({
  meta: { name: "run", description: "Run a benchmark against an endpoint, print a report, write a result JSON" },
  args: cittyArgs(RUN_FLAGS),
  async run({ rawArgs }) {
    // a trace is read (and a bad line refused) before anything starts
    const opts = await withTrace(parseRunOptions(rawArgs, process.env, () => Math.floor(Math.random() * 2 ** 31)));
    // the most requests this run may hold in flight: the top level of a concurrency sweep; unbounded for an uncapped rate
    const inFlight = opts.sweep?.kind === "concurrency" ? Math.max(...opts.sweep.levels) : opts.concurrency;
    const workers = resolveWorkers(opts);
    // with workers, the requests are in flight in them (each raises its own HTTP cap), not here
    const html = opts.html;
    // before the run: nothing measured is lost to a typo
    if (html)
      await checkWritable(html).catch((err) =>
        Promise.reject(
          err instanceof UsageError
            ? new UsageError(err.message, "create the folder first, or choose another --html")
            : err,
        ),
      );
    const ctx = await startCommand(opts, workers > 1 ? 0 : inFlight);
    if (!ctx) return;
    const c = publicConfig(opts);
    const size = sizeText(c);
    const load = loadText(c);
    ctx.info(
      `llmbench run: ${opts.api} ${opts.endpoint}, ${opts.sweep ? `sweep of ${opts.sweep.kind} ${opts.sweep.levels.join(",")}` : load}, ${size}${opts.runs > 1 ? ` × ${opts.runs} runs` : ""}${workers > 1 ? ` in ${workers} worker processes` : ""}, seed ${opts.seed}${opts.shard ? `, shard ${opts.shard.index}/${opts.shard.count}${opts.shard.requests !== null ? ` of ${opts.shard.requests} requests` : ""}` : ""}`,
    );

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
    // --tokenizer FILE is read and checked once, before any request (after a re-exec for the HTTP cap; workers read it again each)
    const outcome = await prepareTokenizer(opts)
      .then(() =>
        opts.sweep
          ? runSweep(opts, deps)
          : opts.runs > 1
            ? runRepeated(opts, deps)
            : workers > 1
              ? runInWorkers(opts, workers, rawArgs, deps)
              : runBenchmark(opts, deps),
      )
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
    const conclusion = concludeRun(outcome, ctx.interruptedBy());
    for (const w of conclusion.warnings) logger.warn(w);
    // the report already warns of a client bottleneck; with --json, stderr is the only place a person sees it
    if (conclusion.clientWarning && opts.json) logger.warn(conclusion.clientWarning);
    if (conclusion.error) throw conclusion.error;
    process.exitCode = conclusion.exitCode;
  },
});

/** --workers: the count, or auto's choice for this machine and load (core/workers.ts). */
function resolveWorkers(opts: RunOptions): number {
  if (opts.workers !== "auto") return opts.workers;
  const firsts = opts.requests === undefined ? undefined : opts.requests - Math.round(opts.repeatRatio * opts.requests);
  return autoWorkers({ cores: availableParallelism(), concurrency: opts.concurrency, rate: opts.rate, firsts });
}
