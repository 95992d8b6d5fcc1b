import { describe, expect, test } from "bun:test";
import { FirstWaveWatch } from "../../src/core/giveup.ts";

const watch = (sent: number) => {
  const w = new FirstWaveWatch();
  for (let i = 0; i < sent; i++) w.onSend();
  return w;
};

describe("FirstWaveWatch: give up when the first wave all times out", () => {
  test("the wave is what was sent before the first request finished; its last timeout gives up", () => {
    const w = watch(4);
    expect(w.onFinish("timeout")).toBe(false);
    w.onSend(); // a refill, sent after the first finished: not part of the wave
    expect(w.onFinish("timeout")).toBe(false);
    expect(w.onFinish("timeout")).toBe(false);
    expect(w.waveSize).toBe(4);
    expect(w.onFinish("timeout")).toBe(true);
    expect(w.onFinish("timeout")).toBe(false); // decided once
  });

  test("a success, or another kind of failure, before the wave is out turns the rule off for the run", () => {
    for (const other of [null, "http_5xx", "connect", "aborted"] as const) {
      const w = watch(3);
      expect(w.onFinish("timeout")).toBe(false);
      expect(w.onFinish(other)).toBe(false);
      for (let i = 0; i < 10; i++) expect(w.onFinish("timeout")).toBe(false);
    }
  });

  test("one request at a time: its first timeout gives up", () => {
    expect(watch(1).onFinish("timeout")).toBe(true);
  });

  test("counts the timeouts the server had begun to answer (a first byte came): silence and a stream that never ends are told apart", () => {
    const w = watch(3);
    w.onFinish("timeout", true);
    w.onFinish("timeout", false);
    expect(w.onFinish("timeout", true)).toBe(true);
    expect(w.started).toBe(2);
    expect(watch(2).started).toBe(0);
  });
});
