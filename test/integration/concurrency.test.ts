/**
 * High concurrency holds: 10,000 streams at once from one `llmbench run` (the compiled binary, which
 * re-executes itself with Bun's HTTP cap and the open-file limit raised) against the built-in server
 * in its own process, with zero client errors. The server's own counter says they were concurrent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BIN, cli, serveBinary } from "./helpers.ts";
import { existsSync } from "node:fs";

const STREAMS = 10_000;

describe.skipIf(!existsSync(BIN))("10,000 concurrent streams", () => {
  let server: Awaited<ReturnType<typeof serveBinary>>;
  beforeAll(async () => {
    // every step takes 400 ms whatever the batch (exponent 0): a request holds its stream ≥ 3.2 s, longer
    // than the client takes to open the rest, so the streams overlap
    server = await serveBinary([
      "--decode-step-ms",
      "400",
      "--batch-exponent",
      "0",
      "--batch-window-ms",
      "0",
      "--prefill-ms-per-token",
      "0",
      "--max-batch-size",
      String(STREAMS),
      "--cache-size",
      "0",
    ]);
  });
  afterAll(() => server.proc.kill());

  test("all succeed, none fail on the client, and the server saw thousands at once", async () => {
    const r = await cli([
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--stream",
      "-n",
      String(STREAMS),
      "-c",
      String(STREAMS),
      "--max-tokens",
      "8",
      "--warmup",
      "0",
      "--repeat-ratio",
      "0",
      "--timeout",
      "120",
      "--no-records",
      "--json",
      "--quiet",
    ]);
    expect(r.stderr).not.toContain("open-file limit");
    const doc = JSON.parse(r.stdout);
    const failed = Object.fromEntries(
      Object.entries(doc.summary.errors as Record<string, number>).filter(([, n]) => n > 0),
    );
    // on a failure, which errors and why (the report's notes) show in the diff
    expect({
      requests: doc.summary.requests,
      errors: failed,
      notes: failed && Object.keys(failed).length ? doc.notes : [],
    }).toEqual({ requests: { sent: STREAMS, succeeded: STREAMS, failed: 0 }, errors: {}, notes: [] });
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as { requests: number; max_in_flight: number };
    expect(stats.requests).toBe(STREAMS);
    // above Bun's default cap of 256 by far: the cap was raised, and the streams were open together
    expect(stats.max_in_flight).toBeGreaterThan(STREAMS / 2);
  }, 180_000);
});
