/** A sweep: the same benchmark at several levels of concurrency or rate, one after another. */
import { runBenchmark, type RunDeps, type RunOutcome } from "./run.ts";
import { prepareTokenizer } from "./target.ts";
import { realTimers } from "../io/clock.ts";
import { InterruptedError } from "../core/errors.ts";
import { publicConfig, type RunOptions } from "../core/options.ts";
import type { ResultDocument, SweepLevel, SweepResult } from "../core/result.ts";
import { giveUpWhat } from "../core/hints.ts";
import { findKnee, saturation } from "../core/sweep.ts";

export interface SweepDeps extends RunDeps {
  onLevel?: (level: SweepLevel, index: number, total: number) => void;
}

const CALIBRATION_REQUESTS = 20;

export async function runSweep(opts: RunOptions, deps: SweepDeps = {}): Promise<RunOutcome> {
  const sweep = opts.sweep!;
  // every level's copy of the options carries the tokenizer file's label, not its path
  await prepareTokenizer(opts);
  // the model is asked of the server once, not once a level
  let model = opts.model;
  const info = deps.info ?? (() => {});
  const timers = deps.timers ?? realTimers;
  const at = (x: number): RunOptions =>
    sweep.kind === "concurrency"
      ? { ...opts, model, concurrency: x, sweep: undefined }
      : { ...opts, model, rate: x, sweep: undefined };
  const learnModel = (out: RunOutcome) => {
    model ??= (out.doc.config.model as string | null) ?? undefined;
  };
  const interrupted = () => deps.interrupt?.aborted === true;

  // one request at a time: the level at concurrency 1, or a short calibration run first
  let singleTokensPerS: number | null = null;
  const hasOne = sweep.kind === "concurrency" && sweep.levels.includes(1);
  if (!hasOne) {
    info(`calibrating: ${CALIBRATION_REQUESTS} requests one at a time, for the batching gain`);
    const cal = await runBenchmark(
      {
        ...opts,
        sweep: undefined,
        rate: undefined,
        concurrency: 1,
        requests: Math.min(opts.requests ?? CALIBRATION_REQUESTS, CALIBRATION_REQUESTS),
        durationMs: undefined,
        rampUpMs: 0,
        slo: [],
      },
      { ...deps, onProgress: undefined, promptSalt: "c" },
    );
    learnModel(cal);
    if (cal.doc.summary.requests.succeeded > 0) singleTokensPerS = cal.doc.summary.throughput.output_tokens_per_s;
  }

  const levels: SweepLevel[] = [];
  const outcomes: RunOutcome[] = [];
  let stopReason: string | null = null;
  for (let i = 0; i < sweep.levels.length && !interrupted(); i++) {
    const x = sweep.levels[i];
    if (i > 0 && sweep.cooldownMs > 0) await timers.sleepUntil(timers.now() + sweep.cooldownMs, deps.interrupt);
    if (interrupted()) break;
    info(`level ${i + 1}/${sweep.levels.length}: ${sweep.kind} ${x}`);
    const out = await runBenchmark(at(x), { ...deps, promptSalt: `l${i}` });
    outcomes.push(out);
    learnModel(out);
    const s = out.doc.summary;
    if (hasOne && x === 1 && s.requests.succeeded > 0) singleTokensPerS = s.throughput.output_tokens_per_s;
    const level: SweepLevel = {
      concurrency: sweep.kind === "concurrency" ? x : Number.isFinite(opts.concurrency) ? opts.concurrency : null,
      rate: sweep.kind === "rate" ? x : null,
      batching_gain: null,
      complete: out.doc.complete,
      notes: out.doc.notes,
      summary: s,
      digests: out.doc.digests,
      requests: out.doc.requests,
    };
    levels.push(level);
    deps.onLevel?.(level, i, sweep.levels.length);
    if (out.unreachable) {
      stopReason = "the endpoint could not be reached";
      break;
    }
    if (out.gaveUp) {
      stopReason = giveUpWhat(out.gaveUp);
      break;
    }
    const why = saturation(sweep.stopOn, s, levels[i - 1]?.summary);
    if (why && i < sweep.levels.length - 1) {
      stopReason = `stopped after ${sweep.kind} ${x}: ${why}`;
      info(stopReason);
      break;
    }
  }
  for (const level of levels) {
    level.batching_gain = singleTokensPerS ? level.summary.throughput.output_tokens_per_s / singleTokensPerS : null;
  }

  // a level cut short (Ctrl-C) cannot be the knee
  const complete = levels.filter((l) => l.complete);
  const kneeOf = findKnee(
    complete.map((l) => l.summary),
    opts.slo.length > 0,
  );
  const knee = { index: kneeOf.index === null ? null : levels.indexOf(complete[kneeOf.index]), reason: kneeOf.reason };
  const result: SweepResult = {
    kind: sweep.kind,
    levels,
    single_request_tokens_per_s: singleTokensPerS,
    knee: knee.index,
    knee_reason: knee.reason,
    stopped_early: stopReason !== null,
    stop_reason: stopReason,
  };
  const headline = levels[knee.index ?? levels.length - 1];
  const first = outcomes[0]?.doc;
  const last = outcomes[outcomes.length - 1]?.doc;
  if (!first || !last || !headline)
    throw new InterruptedError("interrupted before the first level of the sweep", deps.interrupt?.reason);
  const doc: ResultDocument = {
    ...last,
    // a sweep that stopped on saturation measured what it set out to: complete; an interrupted one is not
    complete:
      !interrupted() &&
      levels.every((l) => l.complete) &&
      (levels.length === sweep.levels.length || stopReason !== null),
    started_at: first.started_at,
    config: { ...last.config, ...publicConfig(opts), model: last.config.model, prompts: last.config.prompts },
    notes: headline.notes,
    summary: headline.summary,
    digests: headline.digests,
    requests: null,
    sweep: result,
  };
  return {
    doc,
    interrupted: interrupted(),
    unreachable: outcomes.some((o) => o.unreachable),
    gaveUp: outcomes.find((o) => o.gaveUp)?.gaveUp,
    records: outcomes.flatMap((o) => o.records),
  };
}
