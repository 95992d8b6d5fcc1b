/**
 * `run --runs N`: the same measurement N times in one invocation, one after another, each with its
 * own warm-up and its own prompts (a salt per run, as sweep levels have), stored in one result.
 * `compare` reads such a file as N runs on its side, so its intervals include run-to-run noise.
 */
import { InterruptedError } from "../core/errors.ts";
import { poolRuns } from "../core/metrics.ts";
import type { RepeatedRun, ResultDocument } from "../core/result.ts";
import type { RunOptions } from "../core/options.ts";
import { runBenchmark, type RunDeps, type RunOutcome } from "./run.ts";
import { prepareTokenizer } from "./target.ts";

export async function runRepeated(opts: RunOptions, deps: RunDeps = {}): Promise<RunOutcome> {
  const info = deps.info ?? (() => {});
  // every run's copy of the options carries the tokenizer file's label, not its path
  await prepareTokenizer(opts);
  const outcomes: RunOutcome[] = [];
  let model = opts.model;
  for (let i = 0; i < opts.runs; i++) {
    if (deps.interrupt?.aborted) break;
    info(`run ${i + 1}/${opts.runs}`);
    // the first run is the single run's twin; later runs get prompts of their own (the server's cache has seen the first run's)
    const out = await runBenchmark(
      { ...opts, model },
      { ...deps, promptSalt: i === 0 ? deps.promptSalt : `${deps.promptSalt ?? ""}r${i}` },
    );
    outcomes.push(out);
    model ??= (out.doc.config.model as string | null) ?? undefined;
    if (out.unreachable || out.interrupted || out.gaveUp) break;
  }
  if (outcomes.length === 0) throw new InterruptedError("interrupted before the first run", deps.interrupt?.reason);
  const docs = outcomes.map((o) => o.doc);
  const runs: RepeatedRun[] = docs.map((d) => ({
    complete: d.complete,
    started_at: d.started_at,
    finished_at: d.finished_at,
    notes: d.notes,
    summary: d.summary,
    digests: d.digests,
    requests: d.requests,
  }));
  // the pooled summary: latencies over every run's requests; every rate over the runs' measured windows laid end to end
  const records = outcomes.flatMap((o) => o.records);
  const { summary, digests } = poolRuns(
    outcomes.map((o) => ({ records: o.records, client: o.doc.summary.client })),
    opts.tokenizer,
    { latencyFrom: opts.latencyFrom, slo: opts.slo },
  );
  const first = docs[0];
  const last = docs[docs.length - 1];
  const complete = outcomes.length === opts.runs && docs.every((d) => d.complete);
  const notes = [...new Set(docs.flatMap((d) => d.notes))];
  notes.push(
    `${docs.length} runs of the same measurement${complete ? "" : ` (of ${opts.runs} asked)`}: the summary pools their requests; each run's own numbers are under "runs"`,
  );
  const doc: ResultDocument = {
    ...last,
    complete,
    started_at: first.started_at,
    t0_unix_ms: first.t0_unix_ms,
    notes,
    summary,
    digests,
    requests: null,
    runs,
  };
  return {
    doc,
    interrupted: outcomes.some((o) => o.interrupted),
    unreachable: outcomes.some((o) => o.unreachable),
    gaveUp: outcomes.find((o) => o.gaveUp)?.gaveUp,
    records,
  };
}
