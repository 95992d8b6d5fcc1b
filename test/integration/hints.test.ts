/**
 * One table of fixes (core/hints.ts), chosen by what failed — its class, reason code and status —
 * never by a message's words: the same advice from `run`, `warm` and the model lookup, and no
 * "check --api" where the API is not the cause. Real servers on 127.0.0.1.
 */
import { describe, expect, test } from "bun:test";
import { concludeRun } from "../../src/app/conclusion.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { warmServer } from "../../src/app/warm.ts";
import { parseWarmOptions } from "../../src/core/options/warm.ts";
import { argv } from "../core/helpers.ts";
import { runOptions, scripted } from "./helpers.ts";

const warmOptions = (endpoint: string, args: Record<string, string> = {}) =>
  parseWarmOptions(argv({ endpoint, quiet: true, seed: "1", wait: "5s", ...args }), {}, () => 1);

/** An OpenAI chat stream: one delta, then a last chunk whose usage is not a token count. */
function badUsageStream(): Response {
  const chunks = [
    { choices: [{ index: 0, delta: { content: "hi" } }] },
    { choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: -5 } },
  ];
  const body = `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("")}data: [DONE]\n\n`;
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

describe("the fix fits the cause", () => {
  test("a server's usage that is not a token count: the reason is kept, the fix names the server, not --api", async () => {
    const peer = scripted(() => badUsageStream());
    try {
      const out = await runBenchmark(
        runOptions(`${peer.url}/v1/chat/completions`, { model: "m", requests: "2", warmup: "0" }),
      );
      expect(out.records.every((r) => r.error?.class === "protocol" && r.error.reason === "usage")).toBe(true);
      const error = concludeRun(out).error!;
      expect(error.message).toContain("usage.completion_tokens is -5");
      expect(error.hint).toContain("usage counts");
      expect(error.hint).not.toContain("check --api");
    } finally {
      peer.stop();
    }
  });

  test("an answer past --max-body: the fix is --max-body, not --api", async () => {
    const peer = scripted(
      () =>
        new Response(JSON.stringify({ text: "x".repeat(4096), cached: false }), {
          headers: { "content-type": "application/json" },
        }),
    );
    try {
      const out = await runBenchmark(
        runOptions(`${peer.url}/generate`, { requests: "2", warmup: "0", "max-body": "1KiB" }),
      );
      expect(out.records.every((r) => r.error?.reason === "max_body")).toBe(true);
      const error = concludeRun(out).error!;
      expect(error.hint).toContain("--max-body");
      expect(error.hint).not.toContain("--api");
    } finally {
      peer.stop();
    }
  });

  test("a body in another format still points at --api and the expected schema", async () => {
    const peer = scripted(() => Response.json({ output: "hi" }));
    try {
      const out = await runBenchmark(runOptions(`${peer.url}/generate`, { requests: "2", warmup: "0" }));
      expect(out.records.every((r) => r.error?.class === "protocol" && r.error.reason === undefined)).toBe(true);
      expect(concludeRun(out).error!.hint).toContain('check --api matches the server (expected POST {"prompt"');
    } finally {
      peer.stop();
    }
  });

  test("401: run, warm and the model lookup give the same advice", async () => {
    const peer = scripted(() => new Response("no key", { status: 401 }));
    try {
      const run = concludeRun(await runBenchmark(runOptions(`${peer.url}/generate`, { requests: "2", warmup: "0" })))
        .error!;
      const warm = (await warmServer(warmOptions(`${peer.url}/generate`))).error!;
      // no --model: the lookup GET /v1/models meets the 401 first
      const lookup = (await runBenchmark(
        runOptions(`${peer.url}/v1/chat/completions`, { requests: "2", warmup: "0" }),
      ).catch((e: Error) => e)) as Error & { hint?: string };
      const advice = "pass --api-key (or set LLMBENCH_API_KEY / OPENAI_API_KEY), or --header for another scheme";
      for (const hint of [run.hint, warm.hint, lookup.hint]) expect(hint).toContain(advice);
    } finally {
      peer.stop();
    }
  });

  test("connection refused: one recognition, the same fix from run and from the model lookup; warm's wait quotes it bare", async () => {
    const peer = scripted(() => new Response("")); // a port that was just free
    const url = peer.url;
    peer.stop();
    const run = concludeRun(await runBenchmark(runOptions(`${url}/generate`, { requests: "2", warmup: "0" }))).error!;
    const lookup = (await runBenchmark(runOptions(`${url}/v1/chat/completions`, { requests: "2", warmup: "0" })).catch(
      (e: Error) => e,
    )) as Error & { hint?: string; why?: string };
    expect(run.message).toBe(`cannot connect to ${url}/generate: connection refused`);
    expect(lookup.message).toBe(`cannot connect to ${url}/v1/chat/completions: connection refused`);
    expect(lookup.hint).toBe(run.hint!);
    expect(lookup.why).toBe("connection refused");
    const warm = await warmServer(warmOptions(`${url}/v1/chat/completions`, { wait: "0.3s" }));
    expect(warm.error!.message).toMatch(/the last: connection refused\)$/);
  });
});
