/** `llmbench run`: wires the plan, the HTTP client and the metrics into one result document. */
import { cpus } from "node:os";
import { arrivalTimes } from "../core/arrivals.ts";
import { clientCheck, deriveRequest, summarizeRun, SummaryAccumulator, type RawRecord, type RunSummary } from "../core/metrics.ts";
import { publicConfig, type RunOptions } from "../core/options.ts";
import { ProgressTracker, type ProgressView as Progress } from "../core/progress.ts";
import { RESULT_SCHEMA, relativeRecords, type ResultDocument } from "../core/result.ts";
import { createRng, hashString } from "../core/rng.ts";
import { FirstWaveWatch, type GiveUp } from "../core/giveup.ts";
import { giveUpWhat } from "../core/hints.ts";
import { RequestPlan } from "../core/schedule.ts";
import { shardArrivals, shardPromptIds } from "../core/shard.ts";
import { realTimers, timersOn, type Clock, type Timers } from "../io/clock.ts";
import { renderStatus } from "../render/report.ts";
import { VERSION } from "../version.ts";
import { openRecordsSink } from "../io/records-sink.ts";
import { exactFromRecords } from "./records.ts";
import { openSession, type Prepared, type Session } from "./target.ts";
import { createStopper } from "./warmup.ts";
import { createDispatcher, dispatch, type Pacer } from "./dispatch.ts";
import { closedLoop, openLoop, timedRequests, warmupLoop } from "./pacers.ts";
import { prefixCacheNote } from "../core/prefix.ts";
import { traceArrivals, traceWorkload, withTrace } from "./trace.ts";

export interface RunDeps {
  /** every timer of the loop: the clock, waits, the status tick, the grace period (default the real ones) */
  timers?: Timers;
  /** the real timers on another clock (ignored when `timers` is given) */
  clock?: Clock;
  /** aborted on Ctrl-C: stop sending, give in-flight requests `graceMs`, then abort them */
  interrupt?: AbortSignal;
  graceMs?: number;
  onProgress?: (p: Progress) => void;
  info?: (msg: string) => void;
  /** goes into every synthetic prompt's tag (sweep levels share lengths, never prompts) */
  promptSalt?: string;
  /** a one-line status every `statusEveryMs` (default 10 s): what a CI log shows when stderr is not a terminal */
  onStatus?: (line: string) => void;
  statusEveryMs?: number;
  /** a worker of `--workers`: once warmed up, when to start measuring (this clock), set by the parent for all workers */
  startAt?: () => Promise<number>;
}

export interface RunOutcome {
  doc: ResultDocument;
  /** the run was cut short by Ctrl-C */
  interrupted: boolean;
  /** the run stopped early: the endpoint could not be reached */
  unreachable: boolean;
  /** the run gave up: every request of the first wave timed out and none succeeded */
  gaveUp?: GiveUp;
  /** every record, warm-up included, in dispatch order (with --records-file or --bounded: only the first failures) */
  records: RawRecord[];
}

/** Connection failures in a row that stop the run: the server is not there (or no longer). */
const UNREACHABLE_AFTER = 5;

export async function runBenchmark(given: RunOptions, deps: RunDeps = {}): Promise<RunOutcome> {
  // --trace: the file read (commands/run.ts has read it already, before anything started)
  const opts = await withTrace(given);
  const timers = deps.timers ?? (deps.clock ? timersOn(deps.clock) : realTimers);
  const clock = timers.now;
  const info = deps.info ?? (() => {});
  const session = await openSession(opts, clock, info, deps.promptSalt, opts.trace ? (w, count) => traceWorkload(opts, count, opts.warmup, w, deps.promptSalt) : undefined);
  if (opts.requests !== undefined && session.workload.size < opts.requests * (1 - opts.repeatRatio)) {
    info(`${session.workload.source} has ${session.workload.size} prompts, fewer than the ${opts.requests} requests need: prompts will come round again (the server may answer them from its cache)`);
  }
  // a shard (--shard i/N) plans its own part of the whole workload: its repeats, the global prompt ids
  const plan = new RequestPlan({ requests: opts.requests, warmup: opts.warmup, repeatRatio: opts.repeatRatio, seed: opts.seed, ...(opts.shard ? { repeats: opts.shard.repeats, promptIds: shardPromptIds(opts.shard, opts.shard.warmup) } : {}) });

  const startedAt = new Date();
  const records: RawRecord[] = [];
  // memory flat in the number of requests: each record is folded into the summary and leaves (to the records file)
  const sink = opts.recordsFile !== undefined ? openRecordsSink(opts.recordsFile, clock()) : undefined;
  const flat = sink || opts.bounded ? new SummaryAccumulator(opts.tokenizer, { latencyFrom: opts.latencyFrom, slo: opts.slo }, false) : undefined;
  let firstSend = Infinity;
  let unreachable = false;
  /** stop sending (Ctrl-C, the endpoint went away, giving up): the dispatcher ends every wait */
  const stop = () => d.stop();
  // giving up aborts what is in flight at once: it would only wait out --timeout too; Ctrl-C after its grace period
  const giveUpNow = new AbortController();
  const graceOver = new AbortController();
  const requestSignal = AbortSignal.any([graceOver.signal, giveUpNow.signal]);
  const firstWave = new FirstWaveWatch();
  let gaveUp: GiveUp | undefined;

  const progress = new ProgressTracker();
  const watched = deps.onProgress !== undefined || deps.onStatus !== undefined;
  let measuredStart: number | undefined;
  let connectStreak = 0;
  let warmupFinished = 0;
  /** every finished request, once the plan has been told of it */
  const onRecord = (record: RawRecord) => {
    if (record.phase === "warmup") warmupFinished++;
    if (flat) {
      const kept = sink ? sink.relative(record) : record;
      sink?.write(kept);
      flat.add(kept);
      if (record.tSend < firstSend) firstSend = record.tSend;
      // what an all-failed error quotes; a bounded number
      if (record.error && records.length < KEEP_FAILURES) records.push(record);
    } else records.push(record);
    // connections refused again and again, from the start or after the server went away: stop, keep what was measured
    connectStreak = record.error?.class === "connect" ? connectStreak + 1 : 0;
    if (connectStreak >= Math.min(UNREACHABLE_AFTER, plan.total) && !d.stopping) {
      unreachable = true;
      stop();
    }
    if (firstWave.onFinish(record.error?.class ?? null, record.tFirstByte !== null) && !d.stopping) {
      gaveUp = { wave: firstWave.waveSize, started: firstWave.started, timeoutS: opts.timeoutMs / 1000 };
      info(`gave up: ${giveUpWhat(gaveUp)}`);
      stop();
      giveUpNow.abort();
    }
    // live progress (digests, derivation) only for someone watching: --quiet/--json runs skip it per request
    if (record.phase !== "measured" || measuredStart === undefined || !watched) return;
    const m = deriveRequest(record, opts.latencyFrom);
    const t = clock();
    progress.add(t, m.ok, m.outputTokens, m.ttftMs);
    deps.onProgress?.(progressView(t));
  };
  const progressView = (t: number) => {
    const view = progress.view(t, measuredStart ?? t, opts.requests ?? 0);
    // a timed run's goal: what the pace so far would reach by the deadline
    if (opts.requests === undefined) view.total = Math.max(view.done, Math.round((view.done / Math.max(t - (measuredStart ?? t), 1)) * (opts.durationMs ?? 0)));
    return view;
  };
  const d = createDispatcher<Prepared>({
    send: session.sendPrepared,
    timers,
    signal: requestSignal,
    onSend(prepared) {
      firstWave.onSend();
      if (prepared.req.phase === "measured" && measuredStart === undefined) measuredStart = clock();
    },
    onRecord,
  });
  const stopper = createStopper(deps.interrupt, deps.graceMs, info, stop, timers.after);
  stopper.signal.addEventListener("abort", () => graceOver.abort());
  const runStart = clock();
  const stopStatus = deps.onStatus
    ? timers.every(deps.statusEveryMs ?? STATUS_EVERY_MS, () => {
        const t = clock();
        deps.onStatus!(renderStatus({ elapsedS: (t - runStart) / 1000, inFlight: d.inFlight, warmup: measuredStart === undefined ? { done: warmupFinished, total: opts.warmup } : null, progress: progressView(t) }));
      })
    : undefined;

  // warm-up: closed loop at the run's concurrency (up to 8 for an open loop without a cap), discarded
  const warmupConcurrency = Math.min(Number.isFinite(opts.concurrency) ? opts.concurrency : 8, Math.max(opts.warmup, 1));
  await dispatch(d, warmupLoop({ plan, concurrency: warmupConcurrency, prepare: session.prepare }));

  // closed loop: every body the run needs is built before the clock starts, within AHEAD_BYTES (a
  // longer run: as many as fit, the first wave at least, then one as each request completes)
  const ahead = opts.rate === undefined && !opts.trace && Number.isFinite(opts.concurrency) ? (opts.requests ?? opts.concurrency) : 0;
  const aheadLimits = { untilId: opts.requests === undefined ? undefined : opts.warmup + opts.requests, maxBytes: AHEAD_BYTES };
  session.prepareAhead(Math.min(ahead, opts.concurrency));
  session.prepareAhead(ahead, aheadLimits);
  // the client's own lag is watched while it measures (warm-up is when code compiles and connections open)
  const lag = monitorEventLoop(timers);
  // workers of one run start measuring together: one timeline, one arrival sequence (app/workers.ts)
  const startAt = deps.startAt && !d.stopping ? await deps.startAt() : undefined;
  if (startAt !== undefined) await d.until(startAt);
  const t0 = startAt ?? clock();
  const rampEnd = t0 + opts.rampUpMs;
  const deadline = opts.durationMs === undefined ? Number.POSITIVE_INFINITY : rampEnd + opts.durationMs;
  // seq numbers past the warm-up's, for a pacer that plans its own requests (the plan's pacers use the plan's)
  let seq = opts.warmup;
  const context: PacerContext = {
    plan,
    session,
    t0,
    deadline,
    nextSeq: () => seq++,
    ahead: () => {
      // the body of a request to come is built now, in the gap a completion leaves, not when it is due
      if (ahead > 0) session.prepareAhead(ahead, aheadLimits);
    },
  };
  await dispatch(d, pacerFor(opts, context));
  stopStatus?.();
  const loopLagMs = lag.stop();
  stopper.dispose();
  const interrupted = stopper.interrupted;

  records.sort((a, b) => a.seq - b.seq);
  await sink?.close();
  const { summary, digests } = flat
    ? flat.finish(sink && !opts.bounded ? (await exactFromRecords(sink.path, flat, opts.latencyFrom)).exact : {})
    : summarizeRun(records, opts.tokenizer, { latencyFrom: opts.latencyFrom, slo: opts.slo });
  if (flat) summary.percentiles = opts.bounded ? "digest" : "exact";
  summary.client = clientCheck(loopLagMs, summary);
  const first = flat ? firstSend : records.reduce((m, r) => Math.min(m, r.tSend), Infinity);
  const estimated = flat ? flat.estimated : records.filter((r) => r.phase === "measured" && r.error === null && r.tokensEstimated && r.usage?.completionTokens === undefined).length;
  const doc: ResultDocument = {
    schema: RESULT_SCHEMA,
    tool: { name: "llmbench", version: VERSION },
    complete: !interrupted && !unreachable && !gaveUp,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    t0_unix_ms: Number.isFinite(first) ? Math.round((performance.timeOrigin + first) * 1000) / 1000 : null,
    config: { ...publicConfig(opts), model: session.model ?? null, prompts: session.workload.source },
    environment: { os: process.platform, arch: process.arch, cpus: cpus().length, runtime: `bun ${Bun.version}` },
    notes: runNotes(opts, summary, estimated),
    summary,
    digests,
    requests: opts.records ? relativeRecords(records, first) : null,
    ...(opts.recordsFile !== undefined ? { records_file: opts.recordsFile } : {}),
  };
  return { doc, interrupted, unreachable, gaveUp, records };
}

/** Most bytes of request bodies a closed loop builds before its clock starts (then one a completion). */
const AHEAD_BYTES = 32 * 1024 * 1024;

/** How often a run prints its status line when stderr is not a terminal. */
export const STATUS_EVERY_MS = 10_000;

/** Whose number the mean output length is: the server's usage, the client's tokenizer, or both (README "Token counting"). */
export function outputLengthSource(meanOut: number, fromUsage: number, succeeded: number, tokenizer: string): string {
  const mean = `${meanOut.toFixed(1)} output tokens per request on average`;
  if (fromUsage >= succeeded) return `the server reported ${mean} (its usage)`;
  if (fromUsage === 0) return `the client's ${tokenizer} tokenizer counted ${mean} (the server reported no usage)`;
  return `${mean}, by the server's usage for ${fromUsage} of ${succeeded} requests and the client's ${tokenizer} tokenizer for the rest`;
}

/** The period of the event-loop lag probe. */
export const LAG_PERIOD_MS = 10;

/** How late a 10 ms timer fires, every 10 ms: the event loop's own lag, the client's self-check. */
function monitorEventLoop(timers: Timers, periodMs = LAG_PERIOD_MS): { stop(): number[] } {
  const lags: number[] = [];
  let expected = timers.now() + periodMs;
  const cancel = timers.every(periodMs, () => {
    const t = timers.now();
    lags.push(Math.max(0, t - expected));
    expected = t + periodMs;
  });
  return {
    stop() {
      cancel();
      return lags;
    },
  };
}

/** What drives the measured phase: when and what to send (app/pacers.ts). A new way of pacing is one more branch here. */
export interface PacerContext {
  /** the run's plan: its warm-up is done; closed and open loops take their requests from it */
  plan: RequestPlan;
  /** builds bodies (`prepare` a planned request) and knows the protocol, model and tokenizer */
  session: Session;
  /** the measured phase's start on the run's timers (the ramp counts from here) */
  t0: number;
  /** no send at or past it; Infinity for a run of N requests */
  deadline: number;
  /** the next free `seq`, for a pacer that plans its own requests rather than the plan's */
  nextSeq: () => number;
  /** after each completion: builds the body of a request to come (closed loop) */
  ahead: () => void;
}

export function pacerFor(opts: RunOptions, c: PacerContext): Pacer<Prepared> {
  // trace replay: each of the trace's requests at its own time; its body is built while the one before waits
  if (opts.trace) {
    const requests = traceArrivals(opts).map((at, i) => ({ at, build: () => c.session.prepare({ seq: c.nextSeq(), phase: "measured", promptId: opts.warmup + i, repeat: false }) }));
    return timedRequests({ requests, t0: c.t0, concurrency: opts.concurrency, deadline: c.deadline });
  }
  if (opts.rate === undefined) {
    return closedLoop({ plan: c.plan, concurrency: opts.concurrency, prepare: c.session.prepare, t0: c.t0, rampUpMs: opts.rampUpMs, deadline: c.deadline, done: c.ahead });
  }
  const all = arrivalTimes({ rate: opts.rate, burstiness: opts.burstiness, rampUpMs: opts.rampUpMs }, createRng(hashString(`arrivals:${opts.seed}`)));
  // a shard sends every N-th arrival of the one sequence: the shards together send the requested process
  const arrivals = opts.shard ? shardArrivals(all, opts.shard) : all;
  return openLoop({ plan: c.plan, arrivals, concurrency: opts.concurrency, prepare: c.session.prepare, t0: c.t0, rampUpMs: opts.rampUpMs, deadline: c.deadline });
}

/** Send lag p99 past which a trace replay says it fell behind the trace. */
const TRACE_LATE_MS = 50;

/** Failed records a run without records in memory keeps, for the error that quotes them. */
const KEEP_FAILURES = 100;

function runNotes(opts: RunOptions, s: RunSummary, estimated: number): string[] {
  const notes: string[] = [];
  const meanOut = s.tokens.mean_output_per_request;
  const fromUsage = s.tokens.usage_vs_client.compared;
  if (s.percentiles === "digest") notes.push("--bounded: percentiles are t-digest estimates (count, mean, min and max are exact); drop --bounded for exact ones");
  if (s.ttft_kind === "first-byte") {
    notes.push("responses were not streamed: TTFT is the time to the first body byte; TPOT and ITL cannot be observed and are not given (use --stream where the server supports it)");
  }
  // (a trace asks each request for its own output_length: there is no one --max-tokens to miss)
  if (meanOut !== null && !opts.trace && Math.abs(meanOut - opts.maxTokens) > 0.5) {
    notes.push(`${outputLengthSource(meanOut, fromUsage, s.requests.succeeded, opts.tokenizer)}, not --max-tokens ${opts.maxTokens}: throughput compares only with runs of the same lengths`);
  }
  // answers too long to count in the time they took to arrive: their count is extrapolated (README "Token counting")
  if (estimated > 0) {
    notes.push(`${estimated} answers were too long for the ${opts.tokenizer} tokenizer to count in the time they took to arrive: their output tokens were extrapolated from the part counted${opts.tokenizer === "whitespace" ? "" : " (--tokenizer whitespace counts ~50× faster)"}`);
  }
  const perChunk = s.tokens.tokens_per_chunk;
  if (perChunk !== null && perChunk > 1.05) {
    notes.push(`stream chunks carried ${perChunk.toFixed(2)} tokens each on average: ITL is measured between chunks, not between tokens; TPOT is per token`);
  }
  // a few tokens apart is normal (the server's tokenizer is not ours); a tenth or more says --tokenizer does not fit the model
  const { compared, disagreed, mean_relative_difference: diff } = s.tokens.usage_vs_client;
  if (diff !== null && diff > 0.1) {
    notes.push(`the server's usage and the ${opts.tokenizer} tokenizer disagreed on the output length of ${disagreed} of ${compared} requests, by ${(diff * 100).toFixed(0)}% on average; the server's count was used (choose --tokenizer to match the model for servers without usage)`);
  }
  // first-time prompts answered from the cache: the server saw them before (an earlier run with the same --seed, or a short prompts file)
  // (with cached_tokens reported, a first-time prompt whose prefix was sent before is a hit too: prefixCacheNote says what is unexpected)
  const earlyHits = s.cache.hits - s.cache.repeat_hits;
  const prefixNote = prefixCacheNote(s.prefix_cache);
  if (prefixNote !== null) notes.push(prefixNote);
  if (earlyHits > 0 && !(s.prefix_cache && s.prefix_cache.reported > 0)) {
    notes.push(`${earlyHits} first-time prompts were answered from the server's cache: it had seen them before (an earlier run with the same --seed, or prompts that repeat in --prompts); the cache hit rate is not the repeat ratio's`);
  }
  // open loop: the load applied is the load offered only when requests left on time
  if (opts.rate !== undefined && s.send_lag_ms && s.send_lag_ms.p50 > 10) {
    notes.push(`requests left late (send lag p50 ${s.send_lag_ms.p50.toFixed(0)} ms): the load applied was below the offered ${opts.rate} req/s — the server (or the --concurrency cap) could not keep up; with --latency-from due the wait counts in latency`);
  }
  // a trace replayed late under a cap is not the trace (a client too busy to keep time is the client check's warning)
  if (opts.trace && Number.isFinite(opts.concurrency) && s.send_lag_ms && s.send_lag_ms.p99 > TRACE_LATE_MS) {
    notes.push(`the replay fell behind the trace: send lag p99 ${s.send_lag_ms.p99.toFixed(0)} ms, p50 ${s.send_lag_ms.p50.toFixed(0)} ms past the requests' times — the --concurrency ${opts.concurrency} cap held requests back; with --latency-from due the wait counts in latency`);
  }
  return notes;
}
