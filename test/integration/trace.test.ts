/** run --trace against real servers on 127.0.0.1: bad files refused before a request, pacing, prompts, and a prefix cache. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(import.meta.dir, "../../src/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "llmbench-trace-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function llmbench(args: string[]) {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe("run --trace: a bad trace file", () => {
  test.each([
    ["not JSON on line 3", [line({ timestamp: 0, input_length: 8, output_length: 2 }), "", "{oops"], "t.jsonl:3: not valid JSON: {oops"],
    ["a missing field on line 2", [line({ timestamp: 0, input_length: 8, output_length: 2 }), line({ timestamp: 5, output_length: 2 })], `t.jsonl:2: "input_length" must be an integer ≥ 1 (prompt tokens), got nothing`],
    ["more hash_ids than --block-tokens leaves room for", [line({ timestamp: 0, input_length: 100, output_length: 2, hash_ids: [1, 2, 3] })], "t.jsonl:1: 3 hash_ids for input_length 100, but --block-tokens 512 leaves room for 1"],
  ])("%s: one line naming the line, exit 2, before any request", async (_, lines, message) => {
    let requests = 0;
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (requests++, new Response("{}")) });
    try {
      const file = join(dir, "t.jsonl");
      writeFileSync(file, lines.join("\n"));
      const r = await llmbench(["run", "--endpoint", `http://127.0.0.1:${server.port}/v1/completions`, "--model", "m", "--trace", file, "--quiet"]);
      expect(r.code).toBe(2);
      const errors = r.stderr.trim().split("\n").filter((l) => l.trim() !== "");
      expect(errors[0]).toContain(`${file.slice(0, -"t.jsonl".length)}${message}`);
      // the message and its hint; no stack
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(errors.length).toBeLessThanOrEqual(2);
      expect(requests).toBe(0);
    } finally {
      server.stop(true);
    }
  });

  test("a file that is not there: exit 2, naming it", async () => {
    const r = await llmbench(["run", "--endpoint", "http://127.0.0.1:9/v1/completions", "--model", "m", "--trace", join(dir, "nope.jsonl"), "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope.jsonl: no such file");
  });
});
