/**
 * Token counting never holds the client up (README "Token counting"): a long answer without spaces
 * is counted a piece at a time after its body is complete, so the --timeout of a request in flight
 * beside it still holds; what could not be counted in time is extrapolated and said so.
 */
import { afterEach, expect, test } from "bun:test";
import { runBenchmark } from "../../src/app/run.ts";
import { runOptions, scripted } from "./helpers.ts";

const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

/** letters without a space, fresh per call (gpt-tokenizer caches the merges of pieces it has seen) */
function letters(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192).map((b) => 97 + (b % 26)));
  return s;
}

test("--timeout holds for a request in flight while a 512 KB answer without spaces is counted", async () => {
  const answer = letters(512 * 1024);
  let arrived = 0;
  const peer = scripted(async () => {
    // the first request gets the long answer at once; the second never gets an answer
    if (arrived++ === 0) return Response.json({ choices: [{ index: 0, text: answer, finish_reason: "length" }] });
    return new Promise<Response>(() => {});
  });
  stops.push(peer.stop);
  const timeoutMs = 1000;
  // a witness: a 10 ms timer of the test's own, which fires only while the event loop is free
  const ticks: number[] = [];
  const witness = setInterval(() => ticks.push(performance.now()), 10);
  stops.push(() => clearInterval(witness));
  const { doc, records } = await runBenchmark(
    runOptions(`${peer.url}/v1/completions`, {
      model: "m",
      stream: false,
      requests: "2",
      concurrency: "2",
      warmup: "0",
      "repeat-ratio": "0",
      timeout: String(timeoutMs / 1000),
      tokenizer: "o200k",
    }),
  );
  const hung = records.find((r) => r.error !== null)!;
  expect(hung.error!.class).toBe("timeout");
  const e2e = hung.tEnd! - hung.tSend;
  expect(e2e).toBeGreaterThanOrEqual(timeoutMs - 1);
  const ok = records.find((r) => r.error === null)!;
  // counted in one go, the answer blocked the event loop for minutes (39 s for 128 KB): no timer could
  // fire, the deadline's included. Counted a piece at a time, timers keep firing between the long
  // answer's arrival and the other request's deadline (about 1 s: ~100 ticks on an idle machine)
  const deadline = Math.min(hung.tEnd!, hung.tSend + timeoutMs);
  expect(ok.tEnd!).toBeLessThan(deadline);
  expect(ticks.filter((t) => t > ok.tEnd! && t < deadline).length).toBeGreaterThanOrEqual(5);
  expect(ok.tokensEstimated).toBe(true);
  // roughly one token per two letters: an extrapolation, not a guess
  expect(ok.outputTokensCounted).toBeGreaterThan(answer.length / 4);
  expect(ok.outputTokensCounted).toBeLessThan(answer.length);
  expect(doc.notes.join("\n")).toContain(
    "1 answers were too long for the o200k tokenizer to count in the time they took to arrive",
  );
});

test("notes say whose number the output length is", async () => {
  const chunk = (content: string) =>
    `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
  const body = ["Hello", " there", ",", " world", "!"].map(chunk).join("") + "data: [DONE]\n\n";
  const noUsage = scripted(() => new Response(body, { headers: { "content-type": "text/event-stream" } }));
  stops.push(noUsage.stop);
  const run = (url: string) =>
    runBenchmark(
      runOptions(`${url}/v1/chat/completions`, {
        model: "m",
        requests: "2",
        concurrency: "1",
        warmup: "0",
        "repeat-ratio": "0",
        "max-tokens": "100",
      }),
    );
  const a = await run(noUsage.url);
  expect(a.doc.summary.tokens_source).toBe("o200k");
  const noteA = a.doc.notes.find((n) => n.includes("not --max-tokens 100"))!;
  expect(noteA).toContain(
    "the client's o200k tokenizer counted 5.0 output tokens per request on average (the server reported no usage)",
  );
  expect(noteA).not.toContain("the server returned");

  const usage = `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":7}}\n\n`;
  const withUsage = scripted(
    () =>
      new Response(body.replace("data: [DONE]", `${usage.trim()}\n\ndata: [DONE]`), {
        headers: { "content-type": "text/event-stream" },
      }),
  );
  stops.push(withUsage.stop);
  const b = await run(withUsage.url);
  expect(b.doc.summary.tokens_source).toBe("usage");
  expect(b.doc.notes.find((n) => n.includes("not --max-tokens 100"))).toContain(
    "the server reported 7.0 output tokens per request on average (its usage)",
  );
});

test("nonsense usage and wrong types are protocol errors; the written result is read back by compare's and merge's reader", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { writeFileAtomic } = await import("../../src/io/files.ts");
  const { readRun } = await import("../../src/app/compare.ts");
  const { runMerge } = await import("../../src/app/merge.ts");
  const chunk = (content: unknown) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
  const usage = (n: string) => `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":${n}}}\n\n`;
  // request by request: a good answer, then each kind of nonsense, in turn
  const answers = [
    chunk("one") + chunk(" two") + usage("2"),
    chunk("one") + usage("1e308"),
    chunk("one") + usage("-5"),
    chunk(42),
    chunk("one") + `data: {"id":"x"}\n\n`,
  ];
  let n = 0;
  const peer = scripted(
    () =>
      new Response(`${answers[n++ % answers.length]}data: [DONE]\n\n`, {
        headers: { "content-type": "text/event-stream" },
      }),
  );
  stops.push(peer.stop);
  const dir = mkdtempSync(`${tmpdir()}/llmbench-caps-`);
  try {
    const { doc, records } = await runBenchmark(
      runOptions(`${peer.url}/v1/chat/completions`, {
        model: "m",
        requests: "10",
        concurrency: "1",
        warmup: "0",
        "repeat-ratio": "0",
        "max-tokens": "2",
      }),
    );
    expect(doc.summary.requests.succeeded).toBe(2);
    expect(doc.summary.errors.protocol).toBe(8);
    expect(records.filter((r) => r.error).map((r) => r.error!.message)).toContain(
      "openai-chat: usage.completion_tokens is 1e+308, not a count of tokens (a whole number ≥ 0)",
    );
    expect(Number.isFinite(doc.summary.throughput.output_tokens_per_s)).toBe(true);
    expect(doc.summary.tokens.output).toBe(2 * 2);
    const path = `${dir}/nonsense.json`;
    await writeFileAtomic(path, `${JSON.stringify(doc, null, 2)}\n`);
    const read = await readRun(path);
    expect(read.run).toBeDefined();
    const merged = await runMerge([path, path], false);
    expect(merged.summary.requests.sent).toBe(20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
