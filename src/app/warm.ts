/**
 * `llmbench warm`: wait until the endpoint answers a real request, then keep sending warm-up
 * requests until its latency is steady (or exactly --requests N, or each prompt of a file once).
 * Failures come back in the outcome, not thrown, so the command can still write what was seen.
 */
import { countErrors, EndpointError, type LlmbenchError } from "../core/errors.ts";
import { deriveRequest, type RawRecord } from "../core/metrics.ts";
import { RequestPlan, type PlannedRequest } from "../core/schedule.ts";
import {
  backoffMs,
  probeAnswer,
  steadyState,
  WARM_SCHEMA,
  windowStats,
  type WarmDocument,
  type WindowStats,
} from "../core/steady.ts";
import type { WarmOptions } from "../core/options/warm.ts";
import { now as realClock, sleep, type Clock } from "../io/clock.ts";
import { VERSION } from "../version.ts";
import { openSession, prepareTokenizer, type Session } from "./target.ts";
import { unwaitableError } from "../core/hints.ts";
import { createStopper, sendWarmup } from "./warmup.ts";

export type { WarmProgressView as WarmProgress } from "../render/warm.ts";
import type { WarmProgressView as WarmProgress } from "../render/warm.ts";
import { ms, pct, seconds, trend } from "../core/format.ts";

export interface WarmDeps {
  clock?: Clock;
  /** aborted on Ctrl-C: stop sending, give in-flight requests `graceMs`, then abort them */
  interrupt?: AbortSignal;
  graceMs?: number;
  info?: (msg: string) => void;
  onProgress?: (p: WarmProgress) => void;
}

export interface WarmOutcome {
  doc: WarmDocument;
  /** why warm failed (exit 3, or 2 for the user's options); null when it did not */
  error: LlmbenchError | null;
  interrupted: boolean;
}

/** An attempt sent just before --wait runs out may still take this long to answer. */
const LAST_ATTEMPT_GRACE_MS = 1000;

/** Consecutive failures after the first success that stop warm: the server went away. */
export const FAILED_IN_A_ROW = 5;

interface Readiness {
  session: Session | null;
  plan: RequestPlan | null;
  /** the first successful request */
  first: RawRecord | null;
  attempts: number;
  error: LlmbenchError | null;
}

export async function warmServer(opts: WarmOptions, deps: WarmDeps = {}): Promise<WarmOutcome> {
  const clock = deps.clock ?? realClock;
  const info = deps.info ?? (() => {});
  // the tokenizer takes up to a second to load: before the clock starts, or it would count as the server's start-up
  await prepareTokenizer(opts);
  const startedAt = new Date();
  const t0 = clock();

  const stopper = createStopper(deps.interrupt, deps.graceMs, info);

  try {
    info(`waiting for ${opts.endpoint} to answer (${opts.api} API, up to ${seconds(opts.waitMs)})`);
    const ready = await waitUntilReady(opts, t0, clock, info, deps, () => stopper.interrupted);
    const { first, session, plan } = ready;
    if (first)
      info(`ready after ${seconds(first.tEnd! - t0)} (${ready.attempts} attempt${ready.attempts === 1 ? "" : "s"})`);

    // warm-up: the plan's remaining warm-up requests, until steady (or all of them)
    const records: RawRecord[] = first ? [first] : [];
    const ok: RawRecord[] = [];
    const latencies: number[] = [];
    let steadyAt: number | null = null;
    let steadyWindow: { stats: WindowStats; records: RawRecord[] } | null = null;
    let lastStats: WindowStats | null = null;
    let inARow = 0;
    let wentAway: RawRecord | null = null;
    const untilSteady = opts.requests === undefined && opts.prompts === undefined;
    const observe = (record: RawRecord) => {
      if (record.error !== null) {
        if (++inARow >= FAILED_IN_A_ROW) wentAway ??= record;
        return;
      }
      inARow = 0;
      ok.push(record);
      latencies.push(deriveRequest(record).e2eMs!);
      const check = steadyState(latencies, opts.steady);
      lastStats = check.stats;
      if (check.steady && steadyAt === null) {
        steadyAt = records.length;
        steadyWindow = { stats: check.stats!, records: ok.slice(-opts.steady.window) };
        const s = check.stats!;
        info(
          `steady after ${steadyAt} requests: median ${ms(s.median)} ms, cv ${pct(s.cv)}, trend ${trend(s.drop)} across the last ${s.n}`,
        );
      }
    };
    let error = ready.error;
    if (first && session && plan) {
      observe(first);
      const total = plan.total;
      await sendWarmup({
        plan,
        send: session.send,
        concurrency: opts.concurrency,
        signal: stopper.signal,
        stop: () => stopper.interrupted || wentAway !== null || (untilSteady && steadyAt !== null),
        onRecord(record) {
          records.push(record);
          observe(record);
          deps.onProgress?.({
            phase: "warm",
            done: records.length,
            total,
            lastMs: record.error === null ? latencies[latencies.length - 1] : null,
            window: lastStats,
          });
        },
      });
      if (wentAway) {
        error = new EndpointError(
          `${opts.endpoint} answered, then ${FAILED_IN_A_ROW} requests in a row failed (the last: ${(wentAway as RawRecord).error!.message})`,
          `check the server: it may have crashed or be overloaded`,
        );
      }
    }
    if (stopper.interrupted) error = null;

    // the document
    records.sort((a, b) => a.seq - b.seq);
    const errors = countErrors(records.flatMap((r) => (r.error ? [r.error.class] : [])));
    const e2e = (r: RawRecord) => deriveRequest(r).e2eMs;
    const ttft = (r: RawRecord) => deriveRequest(r).ttftMs;
    const median = (rs: readonly RawRecord[] | undefined, pick: (r: RawRecord) => number | null) => {
      const xs = (rs ?? []).map(pick).filter((x): x is number => x !== null);
      return xs.length === 0 ? null : round(windowStats(xs).median);
    };
    const steadyRecords = (steadyWindow as { records: RawRecord[] } | null)?.records;
    const lastRecords = ok.slice(-opts.steady.window);
    const doc: WarmDocument = {
      schema: WARM_SCHEMA,
      tool: { name: "llmbench", version: VERSION },
      complete: error === null && !stopper.interrupted,
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      config: warmConfig(opts, session),
      ready: first !== null,
      time_to_first_success_ms: first ? round(first.tEnd! - t0) : null,
      attempts: ready.attempts,
      error: error?.message ?? null,
      steady: steadyAt !== null,
      requests_to_steady: steadyAt,
      latency_ms: {
        first: first ? median([first], e2e) : null,
        steady: median(steadyRecords, e2e),
        last_window: median(lastRecords, e2e),
      },
      ttft_ms: {
        first: first ? median([first], ttft) : null,
        steady: median(steadyRecords, ttft),
        last_window: median(lastRecords, ttft),
      },
      ttft_kind: first ? deriveRequest(first).ttftKind : null,
      window: roundStats((steadyWindow as { stats: WindowStats } | null)?.stats ?? lastStats),
      requests: { sent: records.length, succeeded: ok.length, failed: records.length - ok.length },
      errors,
      curve: records.map((r) => {
        const m = deriveRequest(r);
        return {
          n: r.seq + 1,
          ok: m.ok,
          e2e_ms: m.ok ? round(m.e2eMs!) : null,
          ttft_ms: m.ok && m.ttftMs !== null ? round(m.ttftMs) : null,
          error: r.error?.class ?? null,
        };
      }),
    };
    return { doc, error, interrupted: stopper.interrupted };
  } finally {
    stopper.dispose();
  }
}

/**
 * Readiness: open the session (it may ask GET /v1/models), then send the plan's first warm-up
 * request until it succeeds — with backoff, until --wait runs out. Connection refused, 5xx (503
 * while loading) and the like mean "not yet"; an answer waiting cannot change (401, 404, a body in
 * another format) stops at once.
 */
async function waitUntilReady(
  opts: WarmOptions,
  t0: number,
  clock: Clock,
  info: (m: string) => void,
  deps: WarmDeps,
  interrupted: () => boolean,
): Promise<Readiness> {
  const deadline = t0 + opts.waitMs;
  const ctrlC = deps.interrupt ?? new AbortController().signal;
  // an attempt ends at once on Ctrl-C, or when the wait has run out (and it has had a moment to answer)
  const attemptStop = () =>
    AbortSignal.any([ctrlC, AbortSignal.timeout(Math.max(0, deadline - clock()) + LAST_ATTEMPT_GRACE_MS)]);
  let attempts = 0;
  let last = "";
  const notReady = (
    error: LlmbenchError | null,
    session: Session | null = null,
    plan: RequestPlan | null = null,
  ): Readiness => ({ session, plan, first: null, attempts, error });
  const waitedOut = () =>
    new EndpointError(
      `${opts.endpoint} did not answer within --wait ${seconds(opts.waitMs)} (${attempts} attempt${attempts === 1 ? "" : "s"}; the last: ${last})`,
      `start the server first, raise --wait, or check --endpoint ('llmbench serve' starts the built-in one)`,
    );
  /** after a "not yet": pause (backoff) and true, or false when the time is up or Ctrl-C came */
  const pause = async (): Promise<boolean> => {
    deps.onProgress?.({ phase: "wait", elapsedMs: clock() - t0, waitMs: opts.waitMs, attempts, last });
    const left = deadline - clock();
    if (left <= 0 || interrupted()) return false;
    await sleep(Math.min(backoffMs(attempts), left), ctrlC);
    return !interrupted();
  };

  let session: Session | null = null;
  while (session === null) {
    try {
      session = await openSession(opts, clock, info);
    } catch (err) {
      if (!(err instanceof EndpointError)) throw err; // bad options or files: UsageError, exit 2
      attempts++;
      last = err.why;
      if (!(await pause())) return notReady(interrupted() ? null : waitedOut());
    }
  }
  const planned = opts.requests ?? (opts.prompts !== undefined ? session.workload.size : opts.maxRequests);
  const plan = new RequestPlan({ requests: 0, warmup: planned, repeatRatio: 0, seed: opts.seed });
  const req = plan.next() as PlannedRequest; // the first warm-up request, sent again until it succeeds
  for (;;) {
    if (interrupted()) return notReady(null, session, plan);
    const record = await session.send(req, null, attemptStop());
    attempts++;
    const answer = probeAnswer(record.error);
    if (answer === "ok") {
      plan.complete(req.seq, true);
      return { session, plan, first: record, attempts, error: null };
    }
    if (answer === "fatal") return notReady(unwaitableError(opts, record.error!), session, plan);
    last = record.error!.class === "aborted" ? "no answer before the wait ran out" : record.error!.message;
    if (!(await pause())) return notReady(interrupted() ? null : waitedOut(), session, plan);
  }
}

/** The options as saved in the warm document: no secrets, no header values. */
function warmConfig(o: WarmOptions, session: Session | null): Record<string, unknown> {
  return {
    endpoint: o.endpoint,
    api: o.api,
    stream: o.stream,
    model: session?.model ?? o.model ?? null,
    max_tokens: o.maxTokens,
    ignore_eos: o.ignoreEos,
    seed: o.seed,
    timeout_s: o.timeoutMs / 1000,
    input_tokens: o.inputTokens,
    prefix_tokens: o.prefixTokens,
    prompts: session?.workload.source ?? o.prompts ?? "synthetic",
    tokenizer: o.tokenizer,
    header_names: Object.keys(o.headers),
    api_key_set: o.apiKey !== undefined,
    extra_body: o.extraBody ?? null,
    wait_s: o.waitMs / 1000,
    concurrency: o.concurrency,
    requests: o.requests ?? null,
    max_requests: o.requests === undefined && o.prompts === undefined ? o.maxRequests : null,
    window: o.steady.window,
    max_cv: o.steady.maxCv,
    max_drop: o.steady.maxDrop,
    output: o.output ?? null,
  };
}

/** times to the µs, as in run's records */
const round = (x: number) => Math.round(x * 1000) / 1000;
const roundStats = (s: WindowStats | null): WindowStats | null =>
  s && {
    n: s.n,
    mean: round(s.mean),
    median: round(s.median),
    cv: Number(s.cv.toPrecision(6)),
    slope: round(s.slope),
    drop: Number(s.drop.toPrecision(6)),
  };
