/**
 * One rule for an endpoint that gives no HTTP answer: exit 3 ("the endpoint could not be used"),
 * whether the first thing that finds it out is the model lookup (OpenAI APIs without --model) or
 * the run's own requests. An answer that lists no model is a usage matter (exit 2: pass --model).
 */
import { describe, expect, test } from "bun:test";
import { EXIT } from "../../src/core/errors.ts";
import { cli, scripted } from "./helpers.ts";

describe("an endpoint with no HTTP answer exits 3, with or without --model", () => {
  test("a host that does not resolve (.invalid never does, RFC 2606)", async () => {
    for (const model of [[], ["--model", "m"]]) {
      for (const path of ["/v1/completions", "/v1/chat/completions"]) {
        const r = await cli([
          "run",
          "--endpoint",
          `http://no-such-host.invalid${path}`,
          ...model,
          "-n",
          "2",
          "--warmup",
          "0",
          "--timeout",
          "5",
        ]);
        expect({ model, path, code: r.code }).toEqual({ model, path, code: EXIT.endpoint });
        expect(r.stderr).toContain("host not found (DNS)");
        expect(r.stderr).toContain("check the host name in --endpoint");
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    }
  }, 60_000);

  test("a model lookup that gets no answer within --timeout: 3; one that lists no model: 2", async () => {
    let lookups = 0;
    const silent = scripted(async (req) => {
      if (new URL(req.url).pathname === "/v1/models") lookups++;
      await Bun.sleep(60_000);
      return new Response("");
    });
    const empty = scripted(() => Response.json({ data: [] }));
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `${silent.url}/v1/completions`,
        "-n",
        "2",
        "--warmup",
        "0",
        "--timeout",
        "0.5",
      ]);
      expect(r.code).toBe(EXIT.endpoint);
      expect(lookups).toBe(1);
      expect(r.stderr).toContain("/v1/models got no answer: nothing within 0.5 s");
      const e = await cli(["run", "--endpoint", `${empty.url}/v1/completions`, "-n", "2", "--warmup", "0"]);
      expect(e.code).toBe(EXIT.usage);
      expect(e.stderr).toContain("listed no model");
      expect(e.stderr).toContain("fix: pass --model NAME");
    } finally {
      silent.stop();
      empty.stop();
    }
  }, 30_000);
});
