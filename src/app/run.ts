/** `llmbench run`: wires the plan, the HTTP client and the metrics into one result document. */
import { cpus } from "node:os";
import { arrivalTimes } from "../core/arrivals.ts";
import { clientCheck, deriveRequest, summarizeRun, SummaryAccumulator, type RawRecord } from "../core/metrics.ts";
import type { RunOptions } from "../core/options.ts";
import { ProgressTracker, type ProgressView as Progress } from "../core/progress.ts";
import type { ResultDocument } from "../core/result.ts";
import { runDocument } from "../core/run-document.ts";
import { createRng, hashString } from "../core/rng.ts";
import { FirstWaveWatch, type GiveUp } from "../core/giveup.ts";
import { giveUpWhat } from "../core/hints.ts";
import { RequestPlan } from "../core/schedule.ts";
import { shardArrivals, shardPromptIds } from "../core/shard.ts";
import { realTimers, type Timers } from "../io/clock.ts";
import { renderStatus } from "../render/report.ts";
import { VERSION } from "../version.ts";
import { openRecordsSink } from "../io/records-sink.ts";
import { exactFromRecords } from "./records.ts";
import { conversationChains, loadConversations } from "./sessions.ts";
import type { Conversation } from "../core/sessions.ts";
import { openSession, type Prepared, type Session } from "./target.ts";
import { createStopper } from "./warmup.ts";
import { createDispatcher, dispatch, type Pacer } from "./dispatch.ts";
import { chains, closedLoop, openLoop, timedRequests, warmupLoop } from "./pacers.ts";
import { traceArrivals, traceWorkload, withTrace } from "./trace.ts";

export interface RunDeps {
  /** every timer of the loop: the clock, waits, the status tick, the grace period (default the real ones) */
  timers?: Timers;
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

/**
 * How a `run` ended — one run, `--runs N`, a sweep or `--workers N` alike (runBenchmark, runRepeated,
 * runSweep, runInWorkers all hand back this one type; app/conclusion.ts turns it into warnings and the exit code).
 */
export interface RunOutcome {
  /** the result document: a sweep's or repeated runs' carries every level or run */
  doc: ResultDocument;
  /** cut short by Ctrl-C or another stop signal */
  interrupted: boolean;
  /** stopped early: the endpoint could not be reached (in any run or level) */
  unreachable: boolean;
  /** gave up: every request of the first wave timed out and none succeeded (the runs or levels ended there) */
  gaveUp?: GiveUp;
  /** every record kept, warm-up included, in dispatch order, of every run or level (with --records-file or --bounded: only the first failures) — what an all-failed error quotes */
  records: readonly RawRecord[];
}

/** Connection failures in a row that stop the run: the server is not there (or no longer). */
const UNREACHABLE_AFTER = 5;

export async function runBenchmark(given: RunOptions, deps: RunDeps = {}): Promise<RunOutcome> {
  // --trace: the file read (commands/run.ts has read it already, before anything started)
  let opts = await withTrace(given);
  const timers = deps.timers ?? realTimers;
  const clock = timers.now;
  const info = deps.info ?? (() => {});
  const session = await openSession(
    opts,
    clock,
    info,
    deps.promptSalt,
    opts.trace ? (w, count) => traceWorkload(opts, count, opts.warmup, w, deps.promptSalt) : undefined,
  );
  // multi-turn sessions: a bad sessions file fails here, before any request; the run's size is their turns
  const conversations = opts.sessions ? await loadConversations(opts, session, info, deps.promptSalt) : undefined;
  if (conversations) opts = { ...opts, requests: conversations.reduce((n, c) => n + c.turns.length, 0) };
  if (opts.requests !== undefined && session.workload.size < opts.requests * (1 - opts.repeatRatio)) {
    info(
      `${session.workload.source} has ${session.workload.size} prompts, fewer than the ${opts.requests} requests need: prompts will come round again (the server may answer them from its cache)`,
    );
  }
  // a shard (--shard i/N) plans its own part of the whole workload: its repeats, the global prompt ids
  const plan = new RequestPlan({
    requests: opts.requests,
    warmup: opts.warmup,
    repeatRatio: opts.repeatRatio,
    seed: opts.seed,
    ...(opts.shard ? { repeats: opts.shard.repeats, promptIds: shardPromptIds(opts.shard, opts.shard.warmup) } : {}),
  });

  const startedAt = new Date();
  const records: RawRecord[] = [];
  // memory flat in the number of requests: each record is folded into the summary and leaves (to the records file)
  const sink = opts.recordsFile !== undefined ? openRecordsSink(opts.recordsFile, clock()) : undefined;
  const flat =
    sink || opts.bounded
      ? new SummaryAccumulator(opts.tokenizer, { latencyFrom: opts.latencyFrom, slo: opts.slo }, false)
      : undefined;
  let firstSend = Infinity;
  let unreachable = false;
  // giving up aborts what is in flight at once: it would only wait out --timeout too; Ctrl-C after its grace period
  const abortInFlight = new AbortController();
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
      d.stop();
    }
    if (firstWave.onFinish(record.error?.class ?? null, record.tFirstByte !== null) && !d.stopping) {
      gaveUp = { wave: firstWave.waveSize, started: firstWave.started, timeoutS: opts.timeoutMs / 1000 };
      info(`gave up: ${giveUpWhat(gaveUp)}`);
      d.stop();
      abortInFlight.abort();
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
    if (opts.requests === undefined)
      view.total = Math.max(
        view.done,
        Math.round((view.done / Math.max(t - (measuredStart ?? t), 1)) * (opts.durationMs ?? 0)),
      );
    return view;
  };
  const d = createDispatcher<Prepared>({
    send: session.sendPrepared,
    timers,
    signal: abortInFlight.signal,
    onSend(prepared) {
      firstWave.onSend();
      if (prepared.req.phase === "measured" && measuredStart === undefined) measuredStart = clock();
    },
    onRecord,
  });
  // Ctrl-C: send no more (the dispatcher ends every wait), then abort what is in flight after the grace period
  const stopper = createStopper(deps.interrupt, deps.graceMs, info, () => d.stop(), timers.after);
  stopper.signal.addEventListener("abort", () => abortInFlight.abort());
  const runStart = clock();
  const stopStatus = deps.onStatus
    ? timers.every(deps.statusEveryMs ?? STATUS_EVERY_MS, () => {
        const t = clock();
        deps.onStatus!(
          renderStatus({
            elapsedS: (t - runStart) / 1000,
            inFlight: d.inFlight,
            warmup: measuredStart === undefined ? { done: warmupFinished, total: opts.warmup } : null,
            progress: progressView(t),
          }),
        );
      })
    : undefined;

  // warm-up: closed loop at the run's concurrency (up to 8 for an open loop without a cap), discarded
  const warmupConcurrency = Math.min(
    Number.isFinite(opts.concurrency) ? opts.concurrency : 8,
    Math.max(opts.warmup, 1),
  );
  await dispatch(d, warmupLoop({ plan, concurrency: warmupConcurrency, prepare: session.prepare }));

  // closed loop: every body the run needs is built before the clock starts, within AHEAD_BYTES (a
  // longer run: as many as fit, the first wave at least, then one as each request completes)
  const ahead =
    opts.rate === undefined && !opts.trace && !conversations && Number.isFinite(opts.concurrency)
      ? (opts.requests ?? opts.concurrency)
      : 0;
  const aheadLimits = {
    untilId: opts.requests === undefined ? undefined : opts.warmup + opts.requests,
    maxBytes: AHEAD_BYTES,
  };
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
    conversations,
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
  const estimated = flat
    ? flat.estimated
    : records.filter(
        (r) =>
          r.phase === "measured" && r.error === null && r.tokensEstimated && r.usage?.completionTokens === undefined,
      ).length;
  const doc = runDocument({
    opts,
    model: session.model ?? null,
    prompts: session.workload.source,
    complete: !interrupted && !unreachable && !gaveUp,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    firstSend: first,
    clockOriginUnixMs: performance.timeOrigin,
    environment: { os: process.platform, arch: process.arch, cpus: cpus().length, runtime: `bun ${Bun.version}` },
    version: VERSION,
    summary,
    digests,
    estimated,
    records,
  });
  return { doc, interrupted, unreachable, gaveUp, records };
}

/**
 * Most bytes of request bodies a closed loop builds before its clock starts (then one a completion).
 * Small: bodies held ready are memory a long run keeps for its whole length (measured, bench-memory,
 * --bounded: 32 MB of bodies made peak RSS 97 MB at 10k requests and 187 MB from ~50k on; 4 MB: 93
 * and 108 MB at 200k).
 */
const AHEAD_BYTES = 4 * 1024 * 1024;

/** How often a run prints its status line when stderr is not a terminal. */
export const STATUS_EVERY_MS = 10_000;

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
  /** multi-turn sessions (--sessions, --turns): the conversations, loaded before the clock starts */
  conversations?: readonly Conversation[];
}

export function pacerFor(opts: RunOptions, c: PacerContext): Pacer<Prepared> {
  if (c.conversations) {
    // each conversation a chain: its turns in order, the next built from the previous answer, think time between
    const nextChain = conversationChains({
      conversations: c.conversations,
      nextSeq: c.nextSeq,
      firstPromptId: opts.warmup,
      session: c.session,
    });
    return chains({ concurrency: opts.sessions?.concurrency ?? opts.concurrency, nextChain, deadline: c.deadline });
  }
  // trace replay: each of the trace's requests at its own time; its body is built while the one before waits
  if (opts.trace) {
    const requests = traceArrivals(opts).map((at, i) => ({
      at,
      build: () => c.session.prepare({ seq: c.nextSeq(), phase: "measured", promptId: opts.warmup + i, repeat: false }),
    }));
    return timedRequests({ requests, t0: c.t0, concurrency: opts.concurrency, deadline: c.deadline });
  }
  if (opts.rate === undefined) {
    return closedLoop({
      plan: c.plan,
      concurrency: opts.concurrency,
      prepare: c.session.prepare,
      t0: c.t0,
      rampUpMs: opts.rampUpMs,
      deadline: c.deadline,
      done: c.ahead,
    });
  }
  const all = arrivalTimes(
    { rate: opts.rate, burstiness: opts.burstiness, rampUpMs: opts.rampUpMs },
    createRng(hashString(`arrivals:${opts.seed}`)),
  );
  // a shard sends every N-th arrival of the one sequence: the shards together send the requested process
  const arrivals = opts.shard ? shardArrivals(all, opts.shard) : all;
  return openLoop({
    plan: c.plan,
    arrivals,
    concurrency: opts.concurrency,
    prepare: c.session.prepare,
    t0: c.t0,
    rampUpMs: opts.rampUpMs,
    deadline: c.deadline,
  });
}

/** Failed records a run without records in memory keeps, for the error that quotes them. */
const KEEP_FAILURES = 100;
