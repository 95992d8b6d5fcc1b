import { expect, test } from "bun:test";
import { createBodyDecoder, finishBody } from "../../src/core/body.ts";
import { getProtocol } from "../../src/core/protocols/index.ts";
import { countTokens, loadTokenizer } from "../../src/core/tokenizer.ts";
import { fixtureBytes, splitBytes } from "./protocols/helpers.ts";

await loadTokenizer("o200k");
const open = () => createBodyDecoder(getProtocol("openai-chat"), "text/event-stream", 4 * 1024 * 1024);
const pacing = { now: () => 0, yieldNow: async () => {}, until: 1000 };

/** the recorded llama.cpp stream, pushed in seeded pieces at t = 1, 2, 3, …; `upTo` pieces only */
function fed(seed: number, upTo = Number.POSITIVE_INFINITY) {
  const body = open();
  const utf8 = new TextDecoder();
  const pieces = splitBytes(fixtureBytes("llamacpp-chat-stream.sse"), seed);
  pieces.slice(0, upTo).forEach((p, k) => body.push(utf8.decode(p, { stream: true }), k + 1));
  return { body, pieces };
}

test("a token time is when the piece that completed its event arrived; however the bytes are split, the same text and count", async () => {
  const whole = fed(0, Number.POSITIVE_INFINITY);
  whole.body.end(whole.pieces.length + 1);
  const reference = await finishBody(whole.body, "o200k", pacing);
  expect(reference.outputTokensCounted).toBe(countTokens(whole.body.text, "o200k"));
  expect(reference.tokenTimes.length).toBeGreaterThan(3);
  for (let seed = 1; seed <= 5; seed++) {
    const { body, pieces } = fed(seed);
    body.end(pieces.length + 1);
    const d = await finishBody(body, "o200k", pacing);
    expect([d.outputTokensCounted, d.tokenTimes.length, d.usage, d.streamed]).toEqual([
      reference.outputTokensCounted,
      reference.tokenTimes.length,
      reference.usage,
      true,
    ]);
    // times are the pieces' own, rising, each a piece's index
    for (let k = 1; k < d.tokenTimes.length; k++) expect(d.tokenTimes[k]).toBeGreaterThanOrEqual(d.tokenTimes[k - 1]);
    expect(d.tokenTimes.every((t) => Number.isInteger(t) && t >= 1 && t <= pieces.length)).toBe(true);
  }
});

test("a body that broke off is still counted for what arrived, and ending it there is a protocol error", async () => {
  const all = fed(3).pieces.length;
  const { body } = fed(3, Math.floor(all / 2));
  const partial = await finishBody(body, "o200k", pacing);
  expect(partial.outputTokensCounted).toBe(countTokens(body.text, "o200k"));
  expect(partial.outputTokensCounted).toBeGreaterThan(0);
  expect(() => body.end(all)).toThrow("stream ended");
});
