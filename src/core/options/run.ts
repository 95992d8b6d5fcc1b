/** `llmbench run`: its flags (one table: help and parser), its options, and what of them a result file keeps. */
import { UsageError } from "../errors.ts";
import type { ResultConfig } from "../result.ts";
import { repeatCount } from "../schedule.ts";
import { parseShard, shardLoad, type ShardLoad, type ShardTotals } from "../shard.ts";
import { parseSlo, STREAM_ONLY_METRICS, type SloTerm } from "../slo.ts";
import { parseWorkers, type WorkersSpec } from "../workers.ts";
import { parseArgv, type FlagTable, type ParsedArgs } from "./argv.ts";
import { OUTPUT_FLAGS, parseTargetOptions, TARGET_FLAGS, type TargetOptions } from "./target.ts";
import type { Trace } from "../trace.ts";
import { parseDuration, parseLevels, parseNumber } from "./values.ts";
import { parseLength, type LengthSpec } from "../workload.ts";

export const RUN_FLAGS = {
  ...TARGET_FLAGS,
  requests: { type: "string", alias: "n", description: "measured requests, warm-up not included", default: "50" },
  duration: {
    type: "string",
    alias: "d",
    description: "measure for this long instead of a number of requests: 60s, 500ms, 2m",
  },
  concurrency: {
    type: "string",
    alias: "c",
    description: "most requests in flight at once (with --rate, a cap only when given); a list or range sweeps",
    default: "5",
  },
  rate: {
    type: "string",
    alias: "r",
    description: "open loop: requests per second, arriving at random (Poisson by default); a list or range sweeps",
  },
  burstiness: {
    type: "string",
    description: "gamma shape of the arrival gaps with --rate: 1 = Poisson, < 1 burstier, > 1 more even",
    default: "1",
  },
  "ramp-up": {
    type: "string",
    description: "ramp from zero to the rate or concurrency over this long, excluded from the numbers (e.g. 10s)",
    default: "0s",
  },
  "latency-from": {
    type: "string",
    description: "send | due: measure TTFT and latency from when a request was sent or was due (with --rate)",
    default: "send",
  },
  slo: {
    type: "string",
    description:
      "objectives, e.g. ttft_p95=200ms,tpot_p50=30ms,e2e_p99=5s; goodput counts requests meeting them; a miss exits 1",
  },
  cooldown: {
    type: "string",
    description: "sweeps (several --concurrency or --rate levels, e.g. 1,2,4 or 1..64x2): pause between levels",
    default: "0s",
  },
  "stop-on": {
    type: "string",
    description: "sweeps: stop once a level saturates: saturation, or error-rate=5%,slo,plateau=5%",
  },
  "repeat-ratio": {
    type: "string",
    description: "share of measured requests that repeat an earlier prompt, 0..1",
    default: "0.3",
  },
  warmup: { type: "string", description: "requests sent first and discarded", default: "5" },
  shard: {
    type: "string",
    description:
      "run part INDEX/COUNT (0-based) of the workload with a shared --seed; --requests, --warmup, --concurrency and --rate are the totals; 'llmbench merge' joins the shard files",
  },
  workers: {
    type: "string",
    alias: "w",
    description:
      "run the load in N processes (Bun's HTTP client has one thread per process) and merge their records: a count, or auto (closed loop: one per 256 streams; --rate: one per core; at most one per core)",
    default: "1",
  },
  runs: {
    type: "string",
    description:
      "repeat the whole measurement N times, each with its own warm-up and prompts, into one result: compare then sees run-to-run noise",
    default: "1",
  },
  records: {
    type: "boolean",
    description: "keep per-request records in the result (--no-records drops them)",
    default: true,
  },
  "records-file": {
    type: "string",
    description:
      "write per-request records to this file as they complete (NDJSON) instead of the result: memory stays flat; percentiles still exact, from the file",
  },
  bounded: {
    type: "boolean",
    description:
      "hold nothing per request in memory: percentiles from t-digests (the result says so); for soaks of millions of requests",
  },
  html: {
    type: "string",
    description: "also write the result as a self-contained HTML report here (what 'llmbench report' writes)",
    valueHint: "file",
  },
  sessions: {
    type: "string",
    description:
      'multi-turn sessions from a JSONL file, one conversation a line: {"id": "a", "turns": [{"user": "...", "think_ms": 0}]}; each turn carries the whole history',
    valueHint: "file",
  },
  turns: {
    type: "string",
    description:
      "synthetic multi-turn sessions of N turns (user messages of --input-tokens; --requests / N sessions, rounded up)",
  },
  "followup-tokens": {
    type: "string",
    description:
      "synthetic sessions: length of every user message after the first (a chat opens with the long one); tokens or mean:stdev (default: --input-tokens)",
  },
  "think-time": {
    type: "string",
    description:
      "sessions: the user's pause between an answer and the next turn (synthetic sessions; a file gives think_ms per turn)",
    default: "0s",
  },
  "session-concurrency": {
    type: "string",
    description: "sessions: conversations going on at once, each with one turn in flight (default: --concurrency)",
  },
  trace: {
    type: "string",
    description:
      "replay a JSONL trace (Mooncake: timestamp ms, input_length, output_length, hash_ids; or Bailian's): each request at its time, prompts of shared blocks where hash_ids are shared",
    valueHint: "file",
  },
  "trace-speed": {
    type: "string",
    description: "with --trace: replay X times as fast (2 halves every gap, 0.5 doubles it)",
    default: "1",
  },
  "block-tokens": {
    type: "string",
    description: "with --trace: prompt tokens per hash id (default: the format's, 512 for Mooncake, 16 for Bailian)",
  },
  ...OUTPUT_FLAGS,
} as const satisfies FlagTable;

/** `--stop-on saturation` or a list: `error-rate=5%`, `slo`, `plateau=5%`. */
export function parseStopOn(value: string | undefined, hasSlo: boolean): StopOn {
  if (value === undefined) return { slo: false };
  const out: StopOn = { slo: false };
  const pct = (v: string, term: string) => {
    const m = /^(\d+(?:\.\d+)?)%?$/.exec(v.trim());
    if (!m) throw new UsageError(`--stop-on ${term}: '${v}' is not a percentage`, `e.g. --stop-on error-rate=5%`);
    return Number(m[1]) / 100;
  };
  for (const term of value
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [key, v] = term.split("=", 2);
    if (key === "saturation") Object.assign(out, { errorRate: 0.05, slo: hasSlo, plateau: 0.05 });
    else if (key === "error-rate") out.errorRate = pct(v ?? "5", key);
    else if (key === "plateau") out.plateau = pct(v ?? "5", key);
    else if (key === "slo") {
      if (!hasSlo) throw new UsageError(`--stop-on slo needs --slo`, `add --slo ttft_p95=...`);
      out.slo = true;
    } else
      throw new UsageError(
        `--stop-on: unknown condition '${key}'`,
        `use saturation, or a list of error-rate=5%, slo, plateau=5%`,
      );
  }
  return out;
}

export type LatencyFrom = "send" | "due";

export interface SweepSpec {
  /** what changes from level to level */
  kind: "concurrency" | "rate";
  levels: number[];
  /** pause between levels */
  cooldownMs: number;
  /** end the sweep once a level saturates */
  stopOn: StopOn;
}

export interface StopOn {
  /** error rate above this share (0..1) */
  errorRate?: number;
  /** an SLO term missed */
  slo: boolean;
  /** output throughput rose by less than this share over the previous level */
  plateau?: number;
}

export interface RunOptions extends TargetOptions {
  /** measured requests; undefined when the run is bounded by `durationMs` */
  requests: number | undefined;
  /** measured phase length (after any ramp); undefined when bounded by `requests` */
  durationMs: number | undefined;
  /** closed loop: requests in flight; open loop: the cap (Infinity when not given) */
  concurrency: number;
  /** open loop: requests per second; undefined = closed loop */
  rate: number | undefined;
  /** gamma shape of the arrival gaps (1 = Poisson) */
  burstiness: number;
  /** ramp from zero to the rate or concurrency, excluded from the numbers */
  rampUpMs: number;
  /** measure TTFT and E2E from t_send (default, comparable with other tools) or from t_sched */
  latencyFrom: LatencyFrom;
  repeatRatio: number;
  warmup: number;
  slo: SloTerm[];
  /** several levels of concurrency or rate, run in turn; undefined for a single run */
  sweep: SweepSpec | undefined;
  /** the whole measurement repeated this many times (each with its own warm-up and prompts), for run-to-run noise */
  runs: number;
  output: string | undefined;
  json: boolean;
  quiet: boolean;
  records: boolean;
  /** records leave memory as they complete, to this file (one JSON a line) */
  recordsFile: string | undefined;
  /** hold nothing per request in memory: percentiles from the t-digests */
  bounded: boolean;
  /** --html: also write the result as an HTML report here (not part of the result's config) */
  html?: string;
  /** --workers N|auto: the load in N processes of this program (app/workers.ts); 1 = this process */
  workers: WorkersSpec;
  /** --shard i/N: this process's part of the workload (requests, warmup and concurrency above are its share) */
  shard?: ShardRun;
  /** --sessions FILE or --turns N: multi-turn sessions instead of independent requests */
  sessions?: SessionsSpec;
  /** --trace FILE: requests replayed at the trace's times (app/trace.ts reads the file into `loaded`) */
  trace?: TraceSpec;
}

/** Multi-turn sessions (core/sessions.ts): from a file, or `turns` synthetic turns each. */
export interface SessionsSpec {
  /** --sessions FILE; absent for synthetic sessions */
  file?: string;
  /** the file's SHA-256 once read (app/sessions.ts): compare tells files apart by contents, not path */
  sha256?: string;
  /** --turns N (synthetic) */
  turns?: number;
  /** --think-time (synthetic; a file gives its own per turn) */
  thinkMs: number;
  /** --followup-tokens: the user messages after the first (synthetic); absent: --input-tokens */
  followupTokens?: LengthSpec;
  /** --session-concurrency when given; else --concurrency (so a concurrency sweep sweeps sessions) */
  concurrency?: number;
}

/** `--trace FILE --trace-speed X --block-tokens N`, and the trace once read (README "Trace replay"). */
export interface TraceSpec {
  file: string;
  speed: number;
  /** tokens per hash id; undefined: the format's own (TRACE_BLOCK_TOKENS) */
  blockTokens: number | undefined;
  /** the trace as read, cut to --requests, and the block size it is built with */
  loaded?: { trace: Trace; blockTokens: number; sha256: string };
}

/** A shard's place and the whole workload's totals (core/shard.ts says how it is split). */
export interface ShardRun extends ShardTotals {
  /** this shard's measured repeats */
  repeats: number | undefined;
}

/** The options as saved in the result file: no secrets, no header values. */
export function publicConfig(o: RunOptions): ResultConfig {
  return {
    endpoint: o.endpoint,
    api: o.api,
    stream: o.stream,
    model: o.model ?? null,
    requests: o.requests ?? null,
    duration_s: o.durationMs === undefined ? null : o.durationMs / 1000,
    concurrency: Number.isFinite(o.concurrency) ? o.concurrency : null,
    rate: o.rate ?? null,
    burstiness: o.burstiness,
    ramp_up_s: o.rampUpMs / 1000,
    latency_from: o.latencyFrom,
    max_tokens: o.maxTokens,
    ignore_eos: o.ignoreEos,
    repeat_ratio: o.repeatRatio,
    warmup: o.warmup,
    seed: o.seed,
    timeout_s: o.timeoutMs / 1000,
    max_body_bytes: o.maxBodyBytes,
    max_message_bytes: o.maxMessageBytes,
    input_tokens: o.inputTokens,
    prefix_tokens: o.prefixTokens,
    prompts: o.prompts ?? "synthetic",
    slo: o.slo.map((t) => ({ name: t.name, bound_ms: t.boundMs })),
    runs: o.runs,
    sweep: o.sweep
      ? {
          kind: o.sweep.kind,
          levels: o.sweep.levels,
          cooldown_s: o.sweep.cooldownMs / 1000,
          stop_on: {
            error_rate: o.sweep.stopOn.errorRate ?? null,
            slo: o.sweep.stopOn.slo,
            plateau: o.sweep.stopOn.plateau ?? null,
          },
        }
      : null,
    tokenizer: o.tokenizer,
    output: o.output ?? null,
    records: o.records,
    records_file: o.recordsFile ?? null,
    bounded: o.bounded,
    header_names: Object.keys(o.headers),
    api_key_set: o.apiKey !== undefined,
    extra_body: o.extraBody ?? null,
    ...(o.shard
      ? {
          shard: {
            index: o.shard.index,
            count: o.shard.count,
            requests: o.shard.requests,
            warmup: o.shard.warmup,
            concurrency: o.shard.concurrency,
          },
        }
      : {}),
    ...(o.sessions
      ? {
          sessions: {
            file: o.sessions.file ?? null,
            ...(o.sessions.sha256 ? { sha256: o.sessions.sha256 } : {}),
            turns: o.sessions.turns ?? null,
            think_time_s: o.sessions.thinkMs / 1000,
            ...(o.sessions.followupTokens ? { followup_tokens: o.sessions.followupTokens } : {}),
            concurrency: o.sessions.concurrency ?? (Number.isFinite(o.concurrency) ? o.concurrency : null),
          },
        }
      : {}),
    ...(o.trace
      ? {
          trace: {
            file: o.trace.file,
            speed: o.trace.speed,
            block_tokens: o.trace.loaded?.blockTokens ?? o.trace.blockTokens ?? null,
            format: o.trace.loaded?.trace.format ?? null,
            ...(o.trace.loaded ? { sha256: o.trace.loaded.sha256 } : {}),
          },
        }
      : {}),
  };
}

/** `run`'s command line → its options (`argv` without the command name). */
export function parseRunOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  randomSeed: () => number,
): RunOptions {
  const p = parseArgv(argv, RUN_FLAGS, "run");
  const d = RUN_FLAGS;
  const target = parseTargetOptions(p, env, randomSeed);
  const durationArg = p.given("duration");
  if (durationArg !== undefined && p.given("requests") !== undefined) {
    throw new UsageError(`--requests and --duration both bound the run`, `give one of them`);
  }
  const durationMs = durationArg === undefined ? undefined : parseDuration("duration", durationArg, false);
  const trace = parseTraceOptions(p);
  // a trace replays all its requests unless --requests says how many of the first (app/trace.ts sets the count)
  const requestsArg = trace ? p.given("requests") : p.get("requests");
  const requests =
    durationMs !== undefined || requestsArg === undefined
      ? undefined
      : parseNumber("requests", requestsArg, { min: 1, integer: true }, d.requests.default);
  const repeatRatio = trace
    ? 0
    : parseNumber("repeat-ratio", p.get("repeat-ratio")!, { min: 0, max: 1 }, d["repeat-ratio"].default);
  const repeats = requests === undefined ? 0 : repeatCount(requests, repeatRatio);
  if (durationMs !== undefined && repeatRatio >= 1) {
    throw new UsageError(`--repeat-ratio 1 leaves no first request to repeat`, `use a ratio below 1`);
  }
  if (requests !== undefined && repeats >= requests && repeats > 0) {
    throw new UsageError(
      `--repeat-ratio ${repeatRatio} makes all ${requests} requests repeats, leaving no first request to repeat`,
      `use a ratio below ${((requests - 0.5) / requests).toFixed(3)}`,
    );
  }
  const rateLevels = p.given("rate") === undefined ? undefined : parseLevels("rate", p.given("rate")!, false);
  const rate = rateLevels?.[0];
  const concurrencyLevels =
    p.given("concurrency") === undefined ? undefined : parseLevels("concurrency", p.given("concurrency")!, true);
  const concurrencyArg = concurrencyLevels?.[0]?.toString();
  if ((rateLevels?.length ?? 0) > 1 && (concurrencyLevels?.length ?? 0) > 1) {
    throw new UsageError(
      `a sweep varies one thing: --rate and --concurrency both list several levels`,
      `sweep one; give the other a single value`,
    );
  }
  const slo = p.given("slo") === undefined ? [] : parseSlo(p.given("slo")!);
  // TPOT and ITL need the tokens' arrival times: known before the run to be unmeasurable without a stream
  const unmeasurable = target.stream ? undefined : slo.find((t) => STREAM_ONLY_METRICS.includes(t.metric));
  if (unmeasurable) {
    const why = p.flag("stream") === false ? "--no-stream" : `the ${target.api} API without --stream`;
    throw new UsageError(
      `--slo ${unmeasurable.name} cannot be checked: ${unmeasurable.metric.toUpperCase()} is not measured on unstreamed answers (${why})`,
      `add --stream, or drop ${unmeasurable.name} from --slo`,
    );
  }
  const sweepKind =
    (rateLevels?.length ?? 0) > 1 ? "rate" : (concurrencyLevels?.length ?? 0) > 1 ? "concurrency" : undefined;
  if (sweepKind === undefined && (p.given("stop-on") !== undefined || p.given("cooldown") !== undefined)) {
    throw new UsageError(
      `--stop-on and --cooldown belong to sweeps`,
      `list several levels, e.g. --concurrency 1,2,4,8`,
    );
  }
  const sweep: SweepSpec | undefined =
    sweepKind === undefined
      ? undefined
      : {
          kind: sweepKind,
          levels: (sweepKind === "rate" ? rateLevels : concurrencyLevels)!,
          cooldownMs: parseDuration("cooldown", p.get("cooldown")!, true),
          stopOn: parseStopOn(p.given("stop-on"), slo.length > 0),
        };
  const runs = parseNumber("runs", p.get("runs")!, { min: 1, max: 100, integer: true }, d.runs.default);
  if (runs > 1 && sweep)
    throw new UsageError(
      `--runs repeats one measurement; a sweep measures several levels`,
      `drop --runs, or give --${sweep.kind} a single value`,
    );
  const burstinessArg = p.given("burstiness");
  if (burstinessArg !== undefined && rate === undefined)
    throw new UsageError(`--burstiness shapes open-loop arrivals`, `add --rate R (requests per second)`);
  const recordsFile = p.given("records-file");
  const bounded = p.flag("bounded") === true;
  if ((recordsFile !== undefined || bounded) && (runs > 1 || sweep)) {
    throw new UsageError(
      `${recordsFile !== undefined ? "--records-file" : "--bounded"} holds one run's records flat in memory; ${sweep ? "a sweep" : "--runs"} keeps every level's records`,
      `drop ${sweep ? `the list of ${sweep.kind} levels` : "--runs"}, or ${recordsFile !== undefined ? "--records-file" : "--bounded"}`,
    );
  }
  if (recordsFile !== undefined && recordsFile === p.given("output"))
    throw new UsageError(
      `--records-file and --output name the same file`,
      `e.g. --output run.json --records-file run.records.ndjson`,
    );
  const latencyFrom = p.get("latency-from")!;
  if (latencyFrom !== "send" && latencyFrom !== "due")
    throw new UsageError(
      `--latency-from must be send or due, got '${latencyFrom}'`,
      `e.g. --latency-from due (with --rate)`,
    );
  if (latencyFrom === "due" && rate === undefined && !trace)
    throw new UsageError(`--latency-from due needs open-loop load`, `add --rate R (or replay a --trace)`);
  const concurrency =
    (rate !== undefined || trace) && concurrencyArg === undefined
      ? Number.POSITIVE_INFINITY
      : parseNumber(
          "concurrency",
          concurrencyArg ?? d.concurrency.default,
          { min: 1, integer: true },
          d.concurrency.default,
        );
  // a trace is replayed as recorded: no warm-up unless asked for (its prompts are synthetic, never the trace's blocks)
  const warmup = parseNumber(
    "warmup",
    (trace ? p.given("warmup") : undefined) ?? (trace ? "0" : p.get("warmup")!),
    { min: 0, integer: true },
    d.warmup.default,
  );
  const workers = parseWorkers(p.get("workers"));
  if (workers !== 1) {
    if (sweep)
      throw new UsageError(
        `--workers splits one measurement; a sweep measures several levels`,
        `give --concurrency or --rate a single value, or drop --workers`,
      );
    if (runs > 1)
      throw new UsageError(`--workers splits one measurement; --runs repeats it`, `drop --runs or --workers`);
    if (p.given("shard") !== undefined)
      throw new UsageError(
        `--workers and --shard both split the workload`,
        `on several machines use --shard i/N alone, with N = every process on every machine`,
      );
  }
  const shard = parseShardOption(
    p.given("shard"),
    p.given("seed"),
    { requests, warmup, repeatRatio, concurrency },
    sweep !== undefined,
    runs,
  );
  const sessions = parseSessionsOption(p, {
    sweep,
    workers: workers !== 1,
    recordsFile: recordsFile !== undefined,
    bounded,
  });
  return {
    ...target,
    requests: shard ? shard.load.requests : requests,
    durationMs,
    concurrency: shard ? shard.load.concurrency : concurrency,
    rate,
    burstiness: parseNumber("burstiness", p.get("burstiness")!, { min: 0, exclusiveMin: true }, d.burstiness.default),
    rampUpMs: parseDuration("ramp-up", p.get("ramp-up")!, true),
    latencyFrom,
    // a session's turns are never repeats: its history is what a cache may reuse
    repeatRatio: sessions ? 0 : repeatRatio,
    warmup: shard ? shard.load.warmup : warmup,
    slo,
    sweep,
    runs,
    output: p.given("output"),
    json: p.flag("json") === true,
    quiet: p.flag("quiet") === true,
    // a bounded run or a records file keeps no records in the result document
    records: p.flag("records") !== false && recordsFile === undefined && !bounded,
    recordsFile,
    bounded,
    ...(p.given("html") ? { html: p.given("html") } : {}),
    workers,
    ...(shard ? { shard: shard.run } : {}),
    ...(sessions ? { sessions } : {}),
    // with a trace, output_length is honoured: ignore_eos unless --no-ignore-eos (OpenAI APIs only; app/target.ts)
    ...(trace ? { trace, ignoreEos: p.flag("ignore-eos") !== false } : {}),
  };
}

/** --sessions FILE | --turns N, with --think-time and --session-concurrency; what does not go with them is refused. */
function parseSessionsOption(
  p: ParsedArgs,
  run: { sweep: SweepSpec | undefined; workers: boolean; recordsFile: boolean; bounded: boolean },
): SessionsSpec | undefined {
  const file = p.given("sessions");
  const turnsArg = p.given("turns");
  const thinkArg = p.given("think-time");
  const concurrencyArg = p.given("session-concurrency");
  if (file === undefined && turnsArg === undefined) {
    const stray =
      thinkArg !== undefined
        ? "--think-time"
        : concurrencyArg !== undefined
          ? "--session-concurrency"
          : p.given("followup-tokens") !== undefined
            ? "--followup-tokens"
            : undefined;
    if (stray)
      throw new UsageError(
        `${stray} belongs to multi-turn sessions`,
        `add --turns N (synthetic sessions) or --sessions FILE`,
      );
    return undefined;
  }
  const what = file !== undefined ? "--sessions" : "--turns";
  if (file !== undefined && turnsArg !== undefined)
    throw new UsageError(
      `--sessions FILE and --turns both say how many turns a session has`,
      `give one: the file's conversations, or --turns N synthetic ones`,
    );
  if (file !== undefined && thinkArg !== undefined)
    throw new UsageError(
      `--think-time is for synthetic sessions; a sessions file gives "think_ms" per turn`,
      `drop --think-time, or write "think_ms" in ${file}`,
    );
  if (file !== undefined && p.given("requests") !== undefined)
    throw new UsageError(
      `--sessions sends every conversation of ${file} once: --requests has nothing to bound`,
      `drop --requests (write fewer lines to send fewer)`,
    );
  if (file !== undefined && p.given("prompts") !== undefined)
    throw new UsageError(`--sessions FILE holds the user messages; --prompts would give others`, `drop --prompts`);
  const clash = (flag: string, why: string) => {
    throw new UsageError(`${what} cannot go with ${flag}: ${why}`, `drop ${flag}`);
  };
  if (p.given("rate") !== undefined)
    clash(
      "--rate",
      "sessions pace themselves (a turn leaves when the previous answer is in and the think time is over)",
    );
  if (p.given("duration") !== undefined) clash("--duration", "a session run ends when its sessions have");
  if (p.given("repeat-ratio") !== undefined)
    clash("--repeat-ratio", "a session's turns are never repeats; its history is what a cache may reuse");
  if (p.given("ramp-up") !== undefined) clash("--ramp-up", "sessions start together, --session-concurrency at once");
  if (run.workers) clash("--workers", "a conversation's turns must go from one process");
  if (p.given("shard") !== undefined)
    clash("--shard", "a session's turns go from one process; run the sessions on one machine");
  if (run.recordsFile || run.bounded)
    clash(
      run.recordsFile ? "--records-file" : "--bounded",
      "the per-turn numbers are found from the records in memory",
    );
  const turns = turnsArg === undefined ? undefined : parseNumber("turns", turnsArg, { min: 1, integer: true }, 3);
  const thinkMs = parseDuration("think-time", p.get("think-time")!, true);
  const followupArg = p.given("followup-tokens");
  if (followupArg !== undefined && (file !== undefined || p.given("prompts") !== undefined))
    throw new UsageError(
      `--followup-tokens sets the length of synthetic messages; ${file !== undefined ? file : p.given("prompts")} gives its own`,
      `drop --followup-tokens`,
    );
  const followupTokens = followupArg === undefined ? undefined : parseLength("followup-tokens", followupArg);
  const concurrency =
    concurrencyArg === undefined
      ? undefined
      : parseNumber("session-concurrency", concurrencyArg, { min: 1, integer: true }, 4);
  if (concurrency !== undefined && run.sweep?.kind === "concurrency")
    throw new UsageError(
      `--session-concurrency is fixed while --concurrency sweeps: in a session run --concurrency is the sessions at once`,
      `drop --session-concurrency to sweep sessions at once with --concurrency ${run.sweep.levels.join(",")}`,
    );
  return {
    ...(file !== undefined ? { file } : {}),
    ...(turns !== undefined ? { turns } : {}),
    thinkMs,
    ...(followupTokens ? { followupTokens } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}

/**
 * `--trace FILE [--trace-speed X] [--block-tokens N]`, and the flags a trace leaves no room for: it
 * says when each request leaves (--rate, --burstiness, --ramp-up), what each prompt is (--prompts,
 * --input-tokens, --prefix-tokens), what is shared (--repeat-ratio) and how long each answer is
 * (--max-tokens). --workers and --shard would split it, a sweep would replay it at one pace per level.
 */
export function parseTraceOptions(p: ParsedArgs): TraceSpec | undefined {
  const file = p.given("trace");
  if (file === undefined) {
    for (const flag of ["trace-speed", "block-tokens"])
      if (p.given(flag) !== undefined) throw new UsageError(`--${flag} belongs to trace replay`, `add --trace FILE`);
    return undefined;
  }
  const clash = (flag: string, why: string, fix: string) => {
    if (p.given(flag) !== undefined) throw new UsageError(`--trace and --${flag}: ${why}`, fix);
  };
  clash("rate", "the trace says when each request leaves", "drop --rate; --trace-speed X replays X times as fast");
  clash("burstiness", "the trace says when each request leaves", "drop --burstiness");
  clash("ramp-up", "the trace says when each request leaves", "drop --ramp-up (the trace's own start is its ramp)");
  clash("prompts", "the trace's input_length and hash_ids make the prompts", "drop --prompts");
  clash("input-tokens", "each prompt is the trace's input_length long", "drop --input-tokens");
  clash("prefix-tokens", "the trace's hash_ids say what prompts share", "drop --prefix-tokens");
  clash("repeat-ratio", "the trace's hash_ids say what prompts share", "drop --repeat-ratio");
  clash("max-tokens", "each request asks for the trace's output_length", "drop --max-tokens");
  clash("shard", "a trace is replayed by one process", "drop --shard");
  clash("cooldown", "a trace is replayed as one measurement, not a sweep", "drop --cooldown");
  clash("stop-on", "a trace is replayed as one measurement, not a sweep", "drop --stop-on");
  clash(
    "sessions",
    "the trace says what each request is and when it leaves",
    "give one: --trace FILE or --sessions FILE",
  );
  clash("turns", "the trace says what each request is and when it leaves", "drop --turns");
  const workers = p.given("workers");
  if (workers !== undefined && workers !== "1")
    throw new UsageError(`--trace and --workers: a trace is replayed by one process`, `drop --workers`);
  const concurrency = p.given("concurrency");
  if (concurrency !== undefined && /[,.]/.test(concurrency))
    throw new UsageError(
      `--trace and a --concurrency sweep: a trace is replayed as one measurement`,
      `give --concurrency one value (a cap on requests in flight), or none`,
    );
  const speed = parseNumber("trace-speed", p.get("trace-speed")!, { min: 0, exclusiveMin: true }, 2);
  const blockArg = p.given("block-tokens");
  const blockTokens =
    blockArg === undefined ? undefined : parseNumber("block-tokens", blockArg, { min: 1, integer: true }, 512);
  return { file, speed, blockTokens };
}

/** `--shard i/N`: a seed every shard shares, one measurement; the totals split by core/shard.ts. */
function parseShardOption(
  value: string | undefined,
  seed: string | undefined,
  whole: { requests: number | undefined; warmup: number; repeatRatio: number; concurrency: number },
  sweep: boolean,
  runs: number,
): { load: ShardLoad; run: ShardRun } | undefined {
  if (value === undefined) return undefined;
  const spec = parseShard(value);
  if (seed === undefined)
    throw new UsageError(
      `--shard ${value} needs the --seed every shard shares: a random seed would give each shard other prompts`,
      `pass the same --seed to every shard, e.g. --seed 42 --shard ${value}`,
    );
  if (sweep)
    throw new UsageError(
      `--shard splits one measurement; a sweep measures several levels`,
      `give --concurrency or --rate a single value`,
    );
  if (runs > 1) throw new UsageError(`--shard splits one measurement; --runs repeats it`, `drop --runs`);
  const load = shardLoad(spec, whole);
  const run: ShardRun = {
    ...spec,
    requests: whole.requests ?? null,
    warmup: whole.warmup,
    concurrency: Number.isFinite(whole.concurrency) ? whole.concurrency : null,
    repeats: load.repeats,
  };
  return { load, run };
}
