/** Multi-turn sessions against real servers on 127.0.0.1: the built-in one with and without its prefix cache, and scripted peers. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCompare } from "../../src/app/compare.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { mergeResults } from "../../src/core/merge.ts";
import { parseCompareArgs } from "../../src/core/options/compare.ts";
import type { ResultDocument } from "../../src/core/result.ts";
import { ms } from "../../src/core/format.ts";
import { renderHtml } from "../../src/render/html/page.ts";
import { renderReport } from "../../src/render/report.ts";
import { UsageError } from "../../src/core/errors.ts";
import type { RawRecord } from "../../src/core/metrics.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { cli, runOptions, scripted, sseStream } from "./helpers.ts";

const byTurn = (records: readonly RawRecord[]) => {
  const sessions = new Map<number, RawRecord[]>();
  for (const r of records.filter((x) => x.phase === "measured")) {
    const list = sessions.get(r.session!) ?? [];
    list.push(r);
    sessions.set(r.session!, list);
  }
  for (const list of sessions.values()) list.sort((a, b) => a.turn! - b.turn!);
  return [...sessions.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
};
/** the tokens of a turn's prompt and answer, as the server counted them: the history the next turn starts with */
const seen = (r: RawRecord) => r.usage!.promptTokens! + r.usage!.completionTokens!;
const ttft = (r: RawRecord) => r.tokenTimes[0] - r.tSend;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe("a 3-turn synthetic session run against the built-in server", () => {
  // prefill is what a prefix cache saves: 1 ms per prompt token makes it most of TTFT
  const cfg = { prefillMsPerToken: 1, decodeStepMs: 2, batchWindowMs: 1, cacheSize: 0, prefixBlockTokens: 16 };
  const B = cfg.prefixBlockTokens;
  // a chat opens with the long message: 300 tokens, then follow-ups of 20, answers of 10
  const args = {
    "input-tokens": "300",
    "followup-tokens": "20",
    "max-tokens": "10",
    turns: "3",
    requests: "12",
    "session-concurrency": "1",
    warmup: "0",
    tokenizer: "whitespace",
  };
  let cached: RunningServer;
  let plain: RunningServer;
  /** the two runs' documents, for compare and merge */
  const docs: { cached?: ResultDocument; plain?: ResultDocument } = {};
  beforeAll(async () => {
    cached = await startServer({ ...cfg, prefixCache: true });
    plain = await startServer(cfg);
  });
  afterAll(() => {
    cached.stop();
    plain.stop();
  });

  test("with --prefix-cache: later turns hit the history they carry, exactly, and their TTFT falls below the first turn's", async () => {
    const { doc, records } = await runBenchmark(runOptions(`${cached.url}/v1/completions`, args));
    docs.cached = doc;
    const sessions = byTurn(records);
    expect(sessions.map((s) => s.map((r) => [r.turn, r.error]))).toEqual(
      Array(4).fill([
        [1, null],
        [2, null],
        [3, null],
      ]),
    );
    for (const [t1, t2, t3] of sessions) {
      // the history grows: each prompt holds the previous one, its answer and the new message
      expect(t2.usage!.promptTokens!).toBeGreaterThan(t1.usage!.promptTokens! + 20 + 10 - 1);
      expect(t3.usage!.promptTokens!).toBeGreaterThan(t2.usage!.promptTokens! + 20 + 10 - 1);
      // what the workload made reusable: the whole history, the previous prompt and its answer (counted in words, as the server counts)
      expect([t1.reusableTokens, t2.reusableTokens, t3.reusableTokens]).toEqual([0, seen(t1), seen(t2)]);
      // the server stored every full block of the previous prompt and of its answer (as vLLM caches generated
      // tokens): the next turn, which starts with both, hits that many tokens, no more, no fewer
      expect([t1.usage!.cachedTokens, t2.usage!.cachedTokens, t3.usage!.cachedTokens]).toEqual([
        0,
        B * Math.floor(seen(t1) / B),
        B * Math.floor(seen(t2) / B),
      ]);
    }
    // the server's own counters agree: every hit token was reported, and only the rest was prefilled
    const all = sessions.flat();
    const hit = all.reduce((a, r) => a + r.usage!.cachedTokens!, 0);
    expect(cached.stats().prefix_hit_tokens).toBe(hit);
    expect(cached.stats().prefill_tokens).toBe(all.reduce((a, r) => a + r.usage!.promptTokens!, 0) - hit);
    // TTFT: every first turn prefilled ≥ 300 tokens (≥ 300 ms); a later turn prefills its uncached suffix only
    // (answer + message + a partial block: < 60 tokens), so at one session at a time its TTFT is the smaller
    const first = sessions.map((s) => ttft(s[0]));
    const later = sessions.flatMap((s) => s.slice(1).map(ttft));
    for (const t of first) expect(t).toBeGreaterThanOrEqual(300 * cfg.prefillMsPerToken - 1);
    expect(median(later)).toBeLessThan(median(first));
    // and so per token of context, by far
    const perToken = (rs: RawRecord[]) => median(rs.map((r) => ttft(r) / r.usage!.promptTokens!));
    expect(perToken(sessions.flatMap((s) => s.slice(1)))).toBeLessThan(perToken(sessions.map((s) => s[0])) / 2);
    // the report's numbers are these
    const s = doc.summary.sessions!;
    expect({ started: s.started, completed: s.completed, failed: s.failed, unfinished: s.unfinished }).toEqual({
      started: 4,
      completed: 4,
      failed: 0,
      unfinished: 0,
    });
    expect(s.first_turn_ttft_ms!.p50).toBeCloseTo(median(first), 6);
    expect(s.later_turns_ttft_ms!.p50).toBeCloseTo(median(later), 6);
    expect(s.by_turn.map((t) => [t.turn, t.sent, t.succeeded, t.cached_tokens_mean])).toEqual(
      [1, 2, 3].map((k) => [k, 4, 4, sessions.reduce((a, x) => a + x[k - 1].usage!.cachedTokens!, 0) / 4]),
    );
    expect(doc.notes.filter((n) => n.includes("first-time prompts"))).toEqual([]);
  });

  test("without it: nothing is cached, every turn prefills its whole context, and later turns are not faster", async () => {
    const { doc, records } = await runBenchmark(runOptions(`${plain.url}/v1/completions`, args));
    docs.plain = doc;
    const sessions = byTurn(records);
    const all = sessions.flat();
    expect(all).toHaveLength(12);
    expect(all.every((r) => (r.usage!.cachedTokens ?? 0) === 0)).toBe(true);
    expect(plain.stats().prefill_tokens).toBe(all.reduce((a, r) => a + r.usage!.promptTokens!, 0));
    // a lower bound that cannot flake: a turn's TTFT is at least the prefill of its whole context, which grows
    for (const r of all) expect(ttft(r)).toBeGreaterThanOrEqual(r.usage!.promptTokens! * cfg.prefillMsPerToken - 1);
    for (const [t1, t2, t3] of sessions) {
      expect(t1.usage!.promptTokens!).toBeLessThan(t2.usage!.promptTokens!);
      expect(t2.usage!.promptTokens!).toBeLessThan(t3.usage!.promptTokens!);
    }
    const later = sessions.flatMap((s) => s.slice(1));
    expect(Math.min(...later.map(ttft))).toBeGreaterThanOrEqual(
      Math.min(...later.map((r) => r.usage!.promptTokens!)) * cfg.prefillMsPerToken - 1,
    );
    expect(doc.summary.sessions!.later_turns_ttft_ms!.p50).toBeGreaterThan(
      doc.summary.sessions!.first_turn_ttft_ms!.p50,
    );
    expect(doc.summary.sessions!.by_turn.map((t) => t.cached_tokens_mean)).toEqual([0, 0, 0]);
  });

  test("the text report and the HTML page show the same rows by turn", () => {
    const doc = docs.cached!;
    const text = renderReport(doc);
    const html = renderHtml({
      files: [{ name: "cached.json", doc, recordsFromFile: null }],
      comparisons: [],
      version: "test",
    });
    const s = doc.summary.sessions!;
    expect(text).toContain(`Sessions      4 started, 4 completed, 0 failed`);
    const table = /<table class="num" data-table="sessions">(.*?)<\/table>/s.exec(html)![1];
    const rows = [...table.matchAll(/<tr>(.*?)<\/tr>/g)]
      .slice(1)
      .map((m) => [...m[1].matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => c[1]));
    expect(rows.map((r) => r[0])).toEqual(["1", "2", "3"]);
    // each HTML row is a line of the text, cell for cell
    for (const r of rows)
      expect(text).toContain(
        `  ${r[0].padEnd(6)}${r
          .slice(1)
          .map((c) => c.padStart(10))
          .join("")}`,
      );
    expect(rows[1][6]).toBe(ms(s.by_turn[1].ttft_ms!.p50));
  });

  test("compare carries TTFT by turn (first turn, later turns) with the other latencies; merge derives it again from the records", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llmbench-sessions-"));
    const [a, b] = [join(dir, "plain.json"), join(dir, "cached.json")];
    writeFileSync(a, JSON.stringify(docs.plain));
    writeFileSync(b, JSON.stringify(docs.cached));
    const { comparison } = await runCompare(parseCompareArgs([a, b, "--allow-mismatch", "--format", "json"]));
    const row = (name: string) => comparison.metrics.find((m) => m.name === name)!;
    const [first, later] = [docs.plain!.summary.sessions!, docs.cached!.summary.sessions!];
    // (the file's times are rounded to the µs)
    expect(row("ttft_later_turns_p50").label).toBe("TTFT later turns p50");
    expect(row("ttft_later_turns_p50").base!).toBeCloseTo(first.later_turns_ttft_ms!.p50, 2);
    expect(row("ttft_later_turns_p50").cand!).toBeCloseTo(later.later_turns_ttft_ms!.p50, 2);
    expect(row("ttft_first_turn_p50").base!).toBeCloseTo(first.first_turn_ttft_ms!.p50, 2);
    expect(row("ttft_first_turn_p50").cand!).toBeCloseTo(later.first_turn_ttft_ms!.p50, 2);
    // the cache made later turns faster: by far more than the first turns moved
    expect(row("ttft_later_turns_p50").change!).toBeLessThan(-0.5);
    // a comparison of runs without sessions has no such rows
    const single = join(dir, "single.json");
    writeFileSync(
      single,
      JSON.stringify({
        ...docs.plain,
        config: { ...docs.plain!.config, sessions: undefined },
        summary: { ...docs.plain!.summary, sessions: undefined },
        requests: docs.plain!.requests!.map(({ session: _s, turn: _t, sessionTurns: _n, ...r }) => r),
      }),
    );
    const plainOnly = await runCompare(parseCompareArgs([single, single, "--format", "json"]));
    expect(plainOnly.comparison.metrics.filter((m) => m.name.includes("turn"))).toEqual([]);
    // merge: both runs' sessions kept apart, every number derived again from the records
    const merged = mergeResults([
      { file: a, doc: docs.plain! },
      { file: b, doc: docs.cached! },
    ]).summary.sessions!;
    expect({ started: merged.started, completed: merged.completed }).toEqual({ started: 8, completed: 8 });
    expect(merged.by_turn.map((t) => t.sent)).toEqual([8, 8, 8]);
    const firsts = [docs.plain!, docs.cached!].flatMap((d) =>
      d.requests!.filter((r) => r.turn === 1).map((r) => r.tokenTimes[0] - r.tSend),
    );
    expect(merged.first_turn_ttft_ms!.p50).toBeCloseTo(median(firsts), 2);
    // without records there is nothing to derive per turn from: no sessions block (not the first file's)
    const bare = (d: ResultDocument): ResultDocument => ({ ...d, requests: null });
    expect(
      mergeResults([
        { file: a, doc: bare(docs.plain!) },
        { file: b, doc: bare(docs.cached!) },
      ]).summary.sessions,
    ).toBeUndefined();
  });
});

describe("what a session sends, against a scripted peer", () => {
  /** answers every request "answer-N" (N counts requests), and fails the requests the test names */
  const peer = (failOn: (n: number, body: Record<string, unknown>) => boolean = () => false) => {
    const bodies: Array<Record<string, unknown>> = [];
    const server = scripted(async (req) => {
      const body = (await req.json()) as Record<string, unknown>;
      bodies.push(body);
      const n = bodies.length;
      if (failOn(n, body)) return new Response("overloaded", { status: 503 });
      const chat = "messages" in body;
      const delta = (t: string) =>
        `data: ${JSON.stringify({ choices: [chat ? { index: 0, delta: { content: t } } : { index: 0, text: t }] })}\n\n`;
      return sseStream([delta(`answer-${n}`), delta(" done"), "data: [DONE]\n\n"], 1);
    });
    return { ...server, bodies };
  };

  test("chat: each turn carries the earlier messages and the server's own answers; think time between turns", async () => {
    const p = peer();
    try {
      const { records } = await runBenchmark(
        runOptions(`${p.url}/v1/chat/completions`, {
          model: "m",
          turns: "3",
          requests: "6",
          "session-concurrency": "2",
          "think-time": "40ms",
          warmup: "0",
        }),
      );
      // session s's turns, in the order the server saw them: every body holds the one before, plus its answer
      const bySession = new Map<string, Array<Array<{ role: string; content: string }>>>();
      for (const b of p.bodies) {
        const m = b.messages as Array<{ role: string; content: string }>;
        const key = m[0].content;
        bySession.set(key, [...(bySession.get(key) ?? []), m]);
      }
      expect([...bySession.values()].map((turns) => turns.map((m) => m.map((x) => x.role)))).toEqual(
        Array(2).fill([["user"], ["user", "assistant", "user"], ["user", "assistant", "user", "assistant", "user"]]),
      );
      for (const turns of bySession.values()) {
        expect(turns[1].slice(0, 1)).toEqual(turns[0]);
        expect(turns[2].slice(0, 3)).toEqual(turns[1]);
        // the answer carried is the one the server gave that request
        const n1 =
          p.bodies.findIndex(
            (b) =>
              (b.messages as unknown[]).length === 1 &&
              (b.messages as Array<{ content: string }>)[0].content === turns[0][0].content,
          ) + 1;
        expect(turns[1][1]).toEqual({ role: "assistant", content: `answer-${n1} done` });
      }
      const sessions = byTurn(records);
      // two sessions at once: both first turns were sent before either answered
      expect(Math.max(sessions[0][0].tSend, sessions[1][0].tSend)).toBeLessThan(
        Math.min(sessions[0][0].tEnd!, sessions[1][0].tEnd!),
      );
      // in order, each after the previous answer and the think time
      for (const s of sessions)
        for (let k = 1; k < s.length; k++) expect(s[k].tSend - s[k - 1].tEnd!).toBeGreaterThanOrEqual(40 - 1);
    } finally {
      p.stop();
    }
  });

  test("completions: one transcript, every earlier prompt a prefix of the next", async () => {
    const p = peer();
    try {
      await runBenchmark(
        runOptions(`${p.url}/v1/completions`, {
          model: "m",
          turns: "2",
          requests: "2",
          "session-concurrency": "1",
          warmup: "0",
        }),
      );
      const [a, b] = p.bodies.map((x) => x.prompt as string);
      expect(a.startsWith("User: ")).toBe(true);
      expect(a.endsWith("\n\nAssistant:")).toBe(true);
      expect(b.startsWith(`${a} answer-1 done\n\nUser: `)).toBe(true);
      expect(b.endsWith("\n\nAssistant:")).toBe(true);
    } finally {
      p.stop();
    }
  });

  test("a failed turn ends its session: its later turns are not sent; the other sessions go on", async () => {
    // the 2nd request the server sees fails: session 0's second turn (one session at a time)
    const p = peer((n) => n === 2);
    try {
      const { doc, records } = await runBenchmark(
        runOptions(`${p.url}/v1/completions`, {
          model: "m",
          turns: "3",
          requests: "9",
          "session-concurrency": "1",
          warmup: "0",
        }),
      );
      const sessions = byTurn(records);
      expect(sessions.map((s) => s.map((r) => [r.turn, r.error?.class ?? null]))).toEqual([
        [
          [1, null],
          [2, "http_5xx"],
        ],
        [
          [1, null],
          [2, null],
          [3, null],
        ],
        [
          [1, null],
          [2, null],
          [3, null],
        ],
      ]);
      expect(p.bodies).toHaveLength(8);
      const s = doc.summary.sessions!;
      expect({ started: s.started, completed: s.completed, failed: s.failed, unfinished: s.unfinished }).toEqual({
        started: 3,
        completed: 2,
        failed: 1,
        unfinished: 0,
      });
      expect(s.by_turn.map((t) => [t.sent, t.succeeded])).toEqual([
        [3, 3],
        [3, 2],
        [2, 2],
      ]);
    } finally {
      p.stop();
    }
  });
});

describe("bad sessions files and options", () => {
  const dir = mkdtempSync(join(tmpdir(), "llmbench-sessions-"));
  test("a sessions file with a bad line: one line naming the line, exit 2, before any request", async () => {
    const p = scripted(() => new Response("no", { status: 500 }));
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, '{"id": "a", "turns": [{"user": "hi"}]}\n{"id": "b", "turns": [{"user": 3}]}\n');
    try {
      const err = await runBenchmark(runOptions(`${p.url}/v1/completions`, { model: "m", sessions: file })).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as UsageError).message).toBe(`${file}:2: turns[0] needs a non-empty string "user"`);
      expect(p.server.pendingRequests).toBe(0);
    } finally {
      p.stop();
    }
  });

  test("the binary: a bad sessions file exits 2 with one line naming the line and the fix, no stack", async () => {
    const file = join(dir, "bad2.jsonl");
    writeFileSync(
      file,
      '{"id": "a", "turns": [{"user": "hi"}]}\n\n{"id": "b", "turns": [{"user": "x", "think_ms": "soon"}]}\n',
    );
    const r = await cli(["run", "--endpoint", "http://127.0.0.1:9/v1/completions", "--model", "m", "--sessions", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3: turns[0]: "think_ms" must be a number ≥ 0, got "soon"`);
    expect(r.stderr).toContain("think_ms");
    expect(r.stderr).not.toContain("    at ");
  });

  test.each([
    [{ turns: "3", rate: "5" }, "--turns cannot go with --rate"],
    [{ turns: "3", "repeat-ratio": "0.2" }, "--turns cannot go with --repeat-ratio"],
    [{ "think-time": "1s" }, "--think-time belongs to multi-turn sessions"],
    [{ turns: "2", sessions: "x.jsonl" }, "--sessions FILE and --turns both"],
    [{ sessions: "x.jsonl", requests: "10" }, "--sessions sends every conversation of x.jsonl once"],
    [{ turns: "0" }, "--turns"],
  ])("%o is refused: %s", (args, message) => {
    expect(() => runOptions("http://127.0.0.1:1/v1/completions", args)).toThrow(message);
  });
});
