/** An SLO on a metric the run cannot measure: refused up front when that is known (exit 2), "not measured" otherwise (exit 3), never "MISSED". */
import { describe, expect, test } from "bun:test";
import { cli, scripted, sseStream } from "./helpers.ts";

/** A generate server that answers every request with plain JSON, streamed or not (as many servers do), counting requests. */
function plainPeer() {
  let received = 0;
  const peer = scripted(() => {
    received++;
    return Response.json({ text: " a b c d", cached: false });
  });
  return { ...peer, received: () => received };
}

describe("--slo on a metric the run cannot measure", () => {
  test.each([
    [["--slo", "tpot_p50=30ms"], "the generate API without --stream", "tpot_p50"],
    [["--slo", "ttft_p95=1s,itl_p99=20ms", "--no-stream"], "--no-stream", "itl_p99"],
  ])("known before the run (%j): exit 2 with the fix, nothing sent", async (args, why, term) => {
    const peer = plainPeer();
    try {
      const r = await cli(["run", "--endpoint", `${peer.url}/generate`, "-n", "3", "--warmup", "0", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--slo ${term} cannot be checked`);
      expect(r.stderr).toContain(why);
      expect(r.stderr).toContain("add --stream");
      expect(peer.received()).toBe(0);
    } finally {
      peer.stop();
    }
  });

  test("asked to stream, the server did not: 'not measured' (not MISSED), exit 3, the result still written", async () => {
    const peer = plainPeer();
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `${peer.url}/generate`,
        "--stream",
        "-n",
        "3",
        "--warmup",
        "0",
        "--slo",
        "e2e_p50=10s,tpot_p50=30ms",
      ]);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/tpot_p50\s+not measured/);
      expect(r.stdout).not.toContain("MISSED");
      expect(r.stdout).toContain("NOT VERIFIED");
      expect(r.stderr).toContain("--slo tpot_p50 not measured");
      const j = await cli([
        "run",
        "--endpoint",
        `${peer.url}/generate`,
        "--stream",
        "-n",
        "3",
        "--warmup",
        "0",
        "--slo",
        "tpot_p50=30ms",
        "--json",
      ]);
      expect(j.code).toBe(3);
      const term = JSON.parse(j.stdout).summary.slo.terms[0];
      expect(term).toEqual({ name: "tpot_p50", bound_ms: 30, value_ms: null, passed: false, status: "not measured" });
    } finally {
      peer.stop();
    }
  });

  test("a term missed beside one not measured: the miss decides, exit 1", async () => {
    const peer = scripted(() =>
      sseStream([`data: {"text":" a"}\n\n`, `data: {"done":true,"cached":false}\n\n`], 1, 30),
    );
    try {
      // one token each: TPOT has no value; TTFT (≥ 30 ms) misses 1 ms
      const r = await cli([
        "run",
        "--endpoint",
        `${peer.url}/generate`,
        "--stream",
        "-n",
        "3",
        "--warmup",
        "0",
        "--slo",
        "ttft_p50=1ms,tpot_p50=30ms",
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/ttft_p50 .* MISSED/);
      expect(r.stdout).toMatch(/tpot_p50\s+not measured/);
    } finally {
      peer.stop();
    }
  });
});
