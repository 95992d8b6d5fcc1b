/**
 * `run --shard i/N` in N processes against one real server, merged, equals one run of the same
 * workload: the server received the same prompts, each first-time prompt once; the merged result
 * counts and derives exactly what the records hold. `merge` refuses shards that do not belong together.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { runMerge } from "../../src/app/merge.ts";
import { arrivalTimes } from "../../src/core/arrivals.ts";
import { UsageError } from "../../src/core/errors.ts";
import { summarizeRun, type RawRecord } from "../../src/core/metrics.ts";
import type { ResultDocument } from "../../src/core/result.ts";
import { createRng, hashString } from "../../src/core/rng.ts";
import { scripted } from "./helpers.ts";

const CLI = join(import.meta.dir, "../../src/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "llmbench-shard-"));
const validate = new Ajv2020({ strict: false }).compile(schema);

/** A generate server that writes down every prompt it is sent, in the order received. */
let prompts: string[] = [];
let peer: ReturnType<typeof scripted>;
beforeAll(() => {
  peer = scripted(async (req) => {
    const body = (await req.json()) as { prompt: string; max_tokens: number };
    prompts.push(body.prompt);
    await Bun.sleep(5);
    return Response.json({ text: Array.from({ length: body.max_tokens }, (_, i) => `w${i}`).join(" "), cached: false });
  });
});
afterAll(() => peer.stop());

const WORKLOAD = [
  "--requests",
  "23",
  "--warmup",
  "4",
  "--concurrency",
  "6",
  "--repeat-ratio",
  "0.3",
  "--max-tokens",
  "7",
  "--seed",
  "1234",
  "--quiet",
];

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const p = Bun.spawn([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text(), new Response(p.stdout).text()]);
  return { code, stderr };
}

/** Run the workload as N shard processes at once; the prompts the server received, and the files. */
async function sharded(
  n: number,
  extra: string[] = [],
  tag = `n${n}`,
): Promise<{ received: string[]; files: string[] }> {
  prompts = [];
  const files = Array.from({ length: n }, (_, i) => join(dir, `${tag}-${i}.json`));
  const runs = await Promise.all(
    files.map((f, i) =>
      cli(["run", "--endpoint", `${peer.url}/generate`, ...WORKLOAD, ...extra, "--shard", `${i}/${n}`, "--output", f]),
    ),
  );
  for (const r of runs) expect(r).toEqual({ code: 0, stderr: "" });
  return { received: prompts, files };
}

const read = (f: string) => JSON.parse(readFileSync(f, "utf8")) as ResultDocument;
const sorted = (xs: string[]) => [...xs].sort();
const firstTime = (xs: string[]) => sorted([...new Set(xs)]);

describe("--shard i/N and merge", () => {
  test("3 shard processes merged equal one run of the same workload: the same prompts, each first-time prompt once, exact numbers", async () => {
    prompts = [];
    const single = join(dir, "single.json");
    expect(await cli(["run", "--endpoint", `${peer.url}/generate`, ...WORKLOAD, "--output", single])).toEqual({
      code: 0,
      stderr: "",
    });
    const one = prompts;
    const { received, files } = await sharded(3);

    // the server's side: the same number of requests, the same distinct prompts (warm-up and first-time measured)
    expect(received.length).toBe(one.length);
    expect(received.length).toBe(23 + 4);
    expect(firstTime(received)).toEqual(firstTime(one));
    // no first-time prompt sent twice: the distinct prompts are the sends that were not repeats
    const base = read(single);
    const repeats = base.summary.cache.repeats_sent;
    expect(repeats).toBe(Math.round(0.3 * 23));
    expect(firstTime(one).length).toBe(27 - repeats);
    expect(firstTime(received).length).toBe(27 - repeats);

    // each shard ran its share and recorded the whole workload
    const parts = files.map(read);
    expect(parts.map((d) => d.config.requests)).toEqual([8, 8, 7]);
    expect(parts.map((d) => d.config.concurrency)).toEqual([2, 2, 2]);
    expect(parts.map((d) => (d.config.shard as { index: number }).index)).toEqual([0, 1, 2]);
    for (const d of parts) expect(validate(d)).toBe(true);

    const merged = await runMerge(files, false);
    expect(validate(JSON.parse(JSON.stringify(merged)))).toBe(true);
    // the merged document reads as the one run: its config (totals, one seed) and its counts
    const { shard, seeds, shards, output, ...config } = merged.config;
    const { output: _o, ...baseConfig } = base.config;
    expect(shard).toBeUndefined();
    expect(seeds).toBeUndefined();
    expect(shards).toBe(3);
    expect(config).toEqual(baseConfig);
    expect(merged.summary.requests).toEqual(base.summary.requests);
    expect(merged.summary.tokens.output).toBe(base.summary.tokens.output);
    expect(merged.summary.tokens.input).toBe(base.summary.tokens.input);
    expect(merged.summary.cache.repeats_sent).toBe(repeats);
    // every prompt id of the one run, each first-time id once
    const ids = (recs: ResultDocument["requests"]) =>
      recs!
        .filter((r) => !r.repeat)
        .map((r) => `${r.phase}:${r.promptId}`)
        .sort();
    expect(ids(merged.requests)).toEqual(ids(base.requests));
    // exact: the merged numbers are what the records derive, in the one place that derives numbers
    const again = summarizeRun(merged.requests as RawRecord[], "whitespace", { latencyFrom: "send", slo: [] }).summary;
    expect(merged.summary.e2e_ms).toEqual(again.e2e_ms);
    expect(merged.summary.ttft_ms!.count).toBe(23);
  }, 60_000);

  test("merge refuses shards that do not belong together: another seed, another N, one missing or twice, another config (exit 2)", async () => {
    const a = await sharded(2, [], "a");
    const other = await sharded(2, ["--seed", "99"], "seed");
    const three = await sharded(3, [], "three");
    const tokens = await sharded(2, ["--max-tokens", "9"], "tokens");
    const plain = join(dir, "plain.json");
    expect((await cli(["run", "--endpoint", `${peer.url}/generate`, ...WORKLOAD, "--output", plain])).code).toBe(0);
    const refused = async (files: string[]) => {
      const err = await runMerge(files, false).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      return (err as UsageError).message;
    };
    expect(await refused([a.files[0], other.files[1]])).toContain("seed 1234 in");
    expect(await refused([a.files[0], three.files[1], three.files[2]])).toContain("split the workload differently");
    expect(await refused([three.files[0], three.files[2]])).toContain("1 of 3 shards missing: 1/3");
    expect(await refused([a.files[0], a.files[0]])).toContain("given twice");
    expect(await refused([a.files[0], plain])).toContain("is not a shard");
    expect(await refused([a.files[0], tokens.files[1]])).toContain("max_tokens");
    // the binary's exit code and one-line fix
    const r = await cli(["merge", a.files[0], other.files[1]]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("fix: merge the files of one sharded run");
    expect((await cli(["merge", ...a.files, "--quiet", "--output", join(dir, "ok.json")])).code).toBe(0);
  }, 90_000);

  test("open loop: each shard sends every N-th arrival of the seed's one sequence, so together they send the requested process", async () => {
    const args = ["--rate", "40", "--burstiness", "0.5", "--concurrency", "50"];
    const { files } = await sharded(2, args, "open");
    const whole = take(
      arrivalTimes({ rate: 40, burstiness: 0.5, rampUpMs: 0 }, createRng(hashString("arrivals:1234"))),
      23,
    );
    const gaps = (ts: number[]) => ts.slice(1).map((t, k) => t - ts[k]);
    files.map(read).forEach((d, i) => {
      const due = d
        .requests!.filter((r) => r.phase === "measured")
        .map((r) => r.tSched!)
        .sort((x, y) => x - y);
      const mine = whole.filter((_, k) => k % 2 === i);
      expect(due.length).toBe(mine.length);
      // times are kept to the µs: the gaps are the sequence's own, exactly
      gaps(due).forEach((g, k) => expect(g).toBeCloseTo(gaps(mine)[k], 2));
    });
    const merged = await runMerge(files, false);
    expect(merged.summary.requests.sent).toBe(23);
  }, 60_000);
});

function take(it: Iterable<number>, k: number): number[] {
  const out: number[] = [];
  for (const t of it) {
    if (out.length >= k) break;
    out.push(t);
  }
  return out;
}
