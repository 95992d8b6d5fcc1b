/**
 * Through the compiled binary: options read the same way by every command, and result files read by
 * the one reader — a refusal is one line, the fix, exit 2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resultDoc, streamed } from "../documents.ts";
import { cli } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-usage-"));
const file = (name: string) => join(dir, name);
const records = () => [streamed(0, 0, 5, [2, 2, 2]), streamed(1, 10, 6, [2, 3, 2]), streamed(2, 20, 5, [2, 2, 4])];

/** stderr of a refusal: `llmbench: error: …` then `  fix: …`, nothing else */
function oneLine(stderr: string): { error: string; fix: string } {
  const lines = stderr.trimEnd().split("\n");
  expect(lines.length).toBe(2);
  expect(lines[0]).toStartWith("llmbench: error: ");
  expect(lines[1]).toStartWith("  fix: ");
  return { error: lines[0].slice("llmbench: error: ".length), fix: lines[1].slice("  fix: ".length) };
}

beforeAll(() => {
  writeFileSync(file("good.json"), JSON.stringify(resultDoc(records())));
  const bad = resultDoc(records()) as { requests: Array<Record<string, unknown>> };
  bad.requests[1].outputTokensCounted = "4";
  writeFileSync(file("bad.json"), JSON.stringify(bad));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a result file that fails the schema", () => {
  test.each([
    ["compare", ["good.json", "bad.json"]],
    ["merge", ["good.json", "bad.json"]],
  ])("%s: exit 2, one line naming the first failing path, and the fix", async (command, files) => {
    const r = await cli([command, ...files], { cwd: dir });
    expect(r.code).toBe(2);
    const { error, fix } = oneLine(r.stderr);
    expect(error).toBe(
      'bad.json is a damaged llmbench result: requests[1].outputTokensCounted is "4", expected an integer ≥ 0',
    );
    expect(fix).toContain("llmbench run --output FILE");
    expect(r.stdout).toBe("");
  });
});

describe("options: one parser, one rule", () => {
  test.each([
    [["serve", "--cache-size", "1e3"], "--cache-size must be an integer, got '1e3'"],
    [["run", "--requests", "1e3"], "--requests must be an integer, got '1e3'"],
    [["warm", "--window", "1e3"], "--window must be an integer, got '1e3'"],
    [["serve", "--prot", "0"], "unknown option '--prot' for 'llmbench serve'"],
    [["merge", "--output"], "--output needs a value"],
    [["compare", "a.json", "b.json", "--format", "xml"], "--format must be one of text, markdown, json; got 'xml'"],
  ])("%j: exit 2, one line and the fix", async (args, message) => {
    const r = await cli(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr).error).toBe(message);
  });

  test("a command's name is suggested by the rule flags use: the name it begins, or the nearest", async () => {
    const prefix = await cli(["comp", "a.json", "b.json"]);
    expect(prefix.code).toBe(2);
    expect(oneLine(prefix.stderr).fix).toStartWith("did you mean 'llmbench compare'?");
    const typo = await cli(["srve"]);
    expect(oneLine(typo.stderr).fix).toStartWith("did you mean 'llmbench serve'?");
  });

  test("help shows each default the parser uses", async () => {
    const r = await cli(["serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(Default: 8000)");
    expect(r.stdout).toContain("(Default: 1024)");
    const run = await cli(["run", "--help"]);
    expect(run.stdout).toContain("(Default: 50)");
    expect(run.stdout).toContain("(Default: 64MiB)");
  });
});
