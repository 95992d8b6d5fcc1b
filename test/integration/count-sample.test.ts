/**
 * Answers whose length the server reports (usage) are counted by the client only for a sample — the
 * first 100 of a target, then one in 10 — so counting leaves the thread that timestamps chunks; the
 * output length is the server's for every request either way (README "Token counts").
 */
import { afterAll, expect, test } from "bun:test";
import { runBenchmark } from "../../src/app/run.ts";
import { runOptions, scripted } from "./helpers.ts";

// ten words, and a usage that says twelve: every answer the client counts disagrees with the server
const server = scripted(() =>
  Response.json({
    id: "x",
    object: "text_completion",
    model: "m",
    choices: [{ index: 0, text: "a b c d e f g h i j", finish_reason: "length" }],
    usage: { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 },
  }),
);
afterAll(() => server.stop());

test("150 answers with usage: 105 counted and compared (100, then every 10th), all 150 measured by the server's count", async () => {
  const { doc, records } = await runBenchmark(
    runOptions(`${server.url}/v1/completions`, {
      requests: "150",
      warmup: "0",
      concurrency: "4",
      tokenizer: "whitespace",
      model: "m",
      records: true,
    }),
  );
  const uncounted = records.filter((r) => r.outputUncounted === true);
  expect(uncounted.length).toBe(45);
  expect(uncounted.every((r) => r.outputTokensCounted === 0)).toBe(true);
  expect(records.filter((r) => r.outputUncounted === undefined).every((r) => r.outputTokensCounted === 10)).toBe(true);
  const t = doc.summary.tokens;
  expect([t.usage_vs_client.compared, t.usage_vs_client.disagreed]).toEqual([105, 105]);
  expect(t.usage_vs_client.mean_relative_difference).toBeCloseTo(2 / 12, 12);
  expect(t.output).toBe(150 * 12);
  expect(doc.summary.tokens_source).toBe("usage");
  expect(t.from_usage).toBe(150);
  // the note quotes whose count the output length is: the server's, for all 150 (not the 105 compared)
  expect(
    doc.notes.some((n) => n.startsWith("the server reported 12.0 output tokens per request on average (its usage)")),
  ).toBe(true);
});
