/**
 * llmbench result documents of every schema version → RunData.
 *
 * Older versions are brought up to the current one (RESULT_SCHEMA) one step at a time by the
 * functions in UPGRADES, then checked and read as the current version. Only v1 exists so far:
 * when v2 comes, RESULT_SCHEMA becomes v2 and one entry is added here,
 * `"llmbench.result/v1": { to: "llmbench.result/v2", upgrade: v1ToV2 }`; nothing else changes.
 * A schema this build does not know (written by a newer llmbench) is refused with that reason.
 */
import { UsageError } from "../errors.ts";
import { deriveRequest, type RawRecord } from "../metrics.ts";
import { RESULT_SCHEMA } from "../result.ts";
import { MetricDigest, type SerializedDigest } from "../stats/digest.ts";
import { Checker, isNum, isObj, type Obj } from "./check.ts";
import { FAMILIES, type Family, type PercentileSummary, type RunData, type RunSamples } from "./types.ts";

export const LLMBENCH_SCHEMA_PREFIX = "llmbench.result/";

const HINT = "pass a result file written by 'llmbench run --output FILE'";

type Upgrade = { to: string; upgrade: (doc: Obj) => Obj };

/** schema id → how to turn that version's document into the next version's. */
export const UPGRADES: Record<string, Upgrade> = {};

/** Apply upgrades until the document is of the current schema. */
export function upgradeResult(doc: Obj, source: string, upgrades: Record<string, Upgrade> = UPGRADES): { doc: Obj; from: string } {
  const from = String(doc.schema);
  let current = doc;
  const seen = new Set<string>();
  while (current.schema !== RESULT_SCHEMA) {
    const schema = String(current.schema);
    const step = upgrades[schema];
    if (!step || seen.has(schema)) {
      const version = (v: string) => Number(/\/v(\d+)$/.exec(v)?.[1] ?? NaN);
      if (version(schema) > version(RESULT_SCHEMA)) {
        throw new UsageError(`${source} was written by a newer llmbench (schema "${schema}"); this one reads up to "${RESULT_SCHEMA}"`, "upgrade llmbench to compare it");
      }
      throw new UsageError(`${source} has an unknown llmbench schema "${schema}" (this llmbench reads "${RESULT_SCHEMA}")`, HINT);
    }
    seen.add(schema);
    current = step.upgrade(current);
  }
  return { doc: current, from };
}

const DIST_KEYS: Record<Family, string> = { ttft: "ttft_ms", tpot: "tpot_ms", itl: "itl_ms", e2e: "e2e_ms" };

function percentileSummary(c: Checker, x: unknown, path: string): PercentileSummary | null {
  if (x === null || x === undefined) return null;
  const d = c.obj(x, path);
  const out: PercentileSummary = {};
  out.count = c.num(d.count, `${path}.count`, { min: 0, integer: true });
  // latencies: never negative, and percentiles never fall as p rises
  for (const k of ["mean", "p50", "p90", "p95", "p99"] as const) out[k] = c.num(d[k], `${path}.${k}`, { min: 0 });
  if (!(out.p50! <= out.p90! && out.p90! <= out.p95! && out.p95! <= out.p99!)) c.fail(`${path}: its percentiles fall as p rises (p50 ${out.p50}, p90 ${out.p90}, p95 ${out.p95}, p99 ${out.p99})`);
  return out;
}

/** A serialised t-digest as the digest module reads it, or a refusal naming the file and the field. */
export function checkDigest(c: Checker, x: unknown, path: string): SerializedDigest {
  try {
    MetricDigest.fromJSON(x as SerializedDigest);
  } catch (err) {
    c.fail(`${path} is not a t-digest: ${(err as Error).message.replace(/^invalid serialised t-digest: /, "")}`);
  }
  return x as SerializedDigest;
}

const PHASES = new Set(["warmup", "measured"]);

/**
 * A record as a request could have happened, or a one-line refusal naming the file and the record:
 * every time finite, in order (t_sched ≤ t_send ≤ first byte ≤ token times ≤ t_end, times relative to
 * the run's first send so never negative), every count a non-negative integer.
 */
function checkRecord(c: Checker, x: unknown, i: number): RawRecord {
  const p = `requests[${i}]`;
  const r = c.obj(x, p);
  if (typeof r.phase !== "string" || !PHASES.has(r.phase)) c.fail(`${p}.phase is ${JSON.stringify(r.phase) ?? "missing"}, expected "measured" or "warmup"`);
  for (const k of ["seq", "promptId"]) c.num(r[k], `${p}.${k}`, { min: 0, integer: true });
  const tSend = c.num(r.tSend, `${p}.tSend`, { min: 0 });
  const tSched = r.tSched === undefined ? null : c.numOrNull(r.tSched, `${p}.tSched`);
  const tFirstByte = c.numOrNull(r.tFirstByte, `${p}.tFirstByte`);
  const tEnd = c.numOrNull(r.tEnd, `${p}.tEnd`);
  const tokenTimes = c.numbers(r.tokenTimes, `${p}.tokenTimes`);
  const impossible = (why: string): never => c.fail(`${p} is impossible: ${why}`);
  if (tSched !== null && tSched > tSend) impossible(`tSend ${tSend} is before tSched ${tSched} (a request cannot leave before it is due)`);
  if (tFirstByte !== null && tFirstByte < tSend) impossible(`tFirstByte ${tFirstByte} is before tSend ${tSend}`);
  if (tokenTimes.length > 0 && tokenTimes[0] < (tFirstByte ?? tSend)) impossible(`its first token time ${tokenTimes[0]} is before ${tFirstByte !== null ? `tFirstByte ${tFirstByte}` : `tSend ${tSend}`}`);
  for (let k = 1; k < tokenTimes.length; k++) if (tokenTimes[k] < tokenTimes[k - 1]) impossible(`tokenTimes[${k}] ${tokenTimes[k]} is before tokenTimes[${k - 1}] ${tokenTimes[k - 1]}`);
  if (tEnd !== null) {
    if (tEnd < tSend) impossible(`tEnd ${tEnd} is before tSend ${tSend}`);
    const last = tokenTimes.length > 0 ? tokenTimes[tokenTimes.length - 1] : tFirstByte;
    if (last !== null && tEnd < last) impossible(`tEnd ${tEnd} is before its last ${tokenTimes.length > 0 ? "token time" : "byte"} ${last}`);
  }
  if (typeof r.streamed !== "boolean") c.fail(`${p}.streamed is not true or false`);
  c.num(r.outputTokensCounted, `${p}.outputTokensCounted`, { min: 0, integer: true });
  for (const k of ["reasoningTokensCounted", "promptTokensCounted"]) if (r[k] !== undefined) c.num(r[k], `${p}.${k}`, { min: 0, integer: true });
  if (r.usage !== null && r.usage !== undefined) {
    const u = c.obj(r.usage, `${p}.usage`);
    for (const k of ["completionTokens", "promptTokens", "cachedTokens"]) if (u[k] !== undefined) c.num(u[k], `${p}.usage.${k}`, { min: 0, integer: true });
  }
  if (r.cached !== undefined && r.cached !== null && typeof r.cached !== "boolean") c.fail(`${p}.cached is neither true, false nor null`);
  if (r.error !== null && !(isObj(r.error) && typeof r.error.class === "string")) c.fail(`${p}.error is neither null nor an error`);
  return { ...(r as unknown as RawRecord), tSched, usage: (r.usage as RawRecord["usage"]) ?? null };
}

/** Read a parsed llmbench result (any known schema version). */
export function fromLlmbench(raw: Obj, source: string): RunData {
  const { doc, from } = upgradeResult(raw, source);
  const c = new Checker(source, "llmbench result", HINT);
  const config = c.obj(doc.config, "config");
  if (config.endpoint !== undefined && typeof config.endpoint !== "string") c.fail(`config.endpoint is ${JSON.stringify(config.endpoint)}, not a URL`);
  const summary = c.obj(doc.summary, "summary");
  const req = c.obj(summary.requests, "summary.requests");
  const requests = {
    sent: c.num(req.sent, "summary.requests.sent", { min: 0, integer: true }),
    succeeded: c.num(req.succeeded, "summary.requests.succeeded", { min: 0, integer: true }),
    failed: c.num(req.failed, "summary.requests.failed", { min: 0, integer: true }),
  };
  if (requests.succeeded + requests.failed !== requests.sent) c.fail(`summary.requests: succeeded + failed ≠ sent`);
  const tp = c.obj(summary.throughput, "summary.throughput");
  const throughput = {
    outputTokensPerS: c.num(tp.output_tokens_per_s, "summary.throughput.output_tokens_per_s", { min: 0 }),
    requestsPerS: c.num(tp.requests_per_s, "summary.throughput.requests_per_s", { min: 0 }),
  };
  const cacheDoc = c.obj(summary.cache, "summary.cache");
  const cache = { hits: c.num(cacheDoc.hits, "summary.cache.hits", { min: 0, integer: true }), of: requests.succeeded };
  if (cache.hits > requests.succeeded) c.fail(`summary.cache.hits is ${cache.hits}, more than the ${requests.succeeded} requests that succeeded`);
  const dists = Object.fromEntries(FAMILIES.map((f) => [f, percentileSummary(c, summary[DIST_KEYS[f]], `summary.${DIST_KEYS[f]}`)])) as Record<
    Family,
    PercentileSummary | null
  >;
  const digestsDoc = doc.digests === undefined || doc.digests === null ? null : c.obj(doc.digests, "digests");
  const digests = digestsDoc ? Object.fromEntries(FAMILIES.filter((f) => digestsDoc[DIST_KEYS[f]] !== undefined).map((f) => [f, checkDigest(c, digestsDoc[DIST_KEYS[f]], `digests.${DIST_KEYS[f]}`)])) : null;

  let samples: RunSamples | null = null;
  if (doc.requests !== null && doc.requests !== undefined) {
    const list: unknown = doc.requests;
    if (!Array.isArray(list)) c.fail("requests is neither a list nor null");
    const records = (list as unknown[]).map((r, i) => checkRecord(c, r, i));
    samples = { ttft: [], tpot: [], e2e: [], itl: [] };
    const latencyFrom = config.latency_from === "due" ? "due" : "send";
    let measured = 0;
    let succeeded = 0;
    for (const r of records) {
      if (r.phase !== "measured") continue;
      measured++;
      const m = deriveRequest(r, latencyFrom);
      if (!m.ok) continue;
      succeeded++;
      if (m.ttftMs !== null) samples.ttft.push(m.ttftMs);
      if (m.tpotMs !== null) samples.tpot.push(m.tpotMs);
      if (m.e2eMs !== null) samples.e2e.push(m.e2eMs);
      if (m.itlMs.length > 0) samples.itl.push(m.itlMs);
    }
    // the records are what every interval is computed from: they must be the requests the summary counts (no copies, none missing)
    if (measured !== requests.sent || succeeded !== requests.succeeded) {
      c.fail(`its records hold ${measured} measured requests (${succeeded} succeeded) but its summary counts ${requests.sent} (${requests.succeeded} succeeded)`);
    }
  }
  // goodput as the run computed it (with --slo): requests meeting every per-request bound, per second
  let goodput: RunData["goodput"] = null;
  if (isObj(summary.slo)) {
    const terms = Array.isArray(summary.slo.terms) ? summary.slo.terms.filter(isObj).map((t) => `${t.name}≤${t.bound_ms}ms`) : [];
    goodput = { rps: c.num(summary.slo.goodput_rps, "summary.slo.goodput_rps", { min: 0 }), slo: terms.join(",") };
  }
  const tool = isObj(doc.tool) && typeof doc.tool.version === "string" ? `llmbench ${doc.tool.version}` : "llmbench (version not recorded)";
  const notes: string[] = [];
  if (from !== RESULT_SCHEMA) notes.push(`${source} was written as ${from} and read as ${RESULT_SCHEMA}`);
  const ttftKind = summary.ttft_kind === "token" || summary.ttft_kind === "first-byte" ? summary.ttft_kind : null;
  const client = isObj(summary.client) ? summary.client : null;
  const distorted = client && client.distorted === true ? (typeof client.reason === "string" ? client.reason : "the client's self-check flagged it") : null;
  return {
    source,
    format: from,
    tool,
    complete: doc.complete !== false,
    config,
    ttftKind,
    samples,
    summary: dists,
    digests: digests as RunData["digests"],
    requests,
    cache,
    throughput,
    goodput,
    distorted,
    notes,
  };
}
