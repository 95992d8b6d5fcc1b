/** The one reader of result documents: generated from the committed schema, and its one-line refusals. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { importFile } from "../../src/core/importers/index.ts";
import { checkResult } from "../../src/core/result.ts";
import { ERROR_CLASSES, FAILURE_REASONS } from "../../src/core/errors.ts";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { TYPES_PATH, typesSource, VALIDATOR_PATH, validatorSource } from "../../scripts/gen-schema.ts";
import { resultDoc, streamed } from "../documents.ts";
import { usageError } from "./helpers.ts";

const root = join(import.meta.dir, "../..");
const records = () => [streamed(0, 0, 5, [2, 2, 2]), streamed(1, 10, 6, [2, 3, 2]), streamed(2, 20, 5, [2, 2, 4])];
const read = (doc: unknown, source = "x.json") => importFile(JSON.stringify(doc), source);

describe("the reader is generated from schema/result.schema.json", () => {
  test("the committed validator and types are what the schema gives (else: bun scripts/gen-schema.ts)", () => {
    expect(readFileSync(join(root, VALIDATOR_PATH), "utf8")).toBe(validatorSource());
    expect(readFileSync(join(root, TYPES_PATH), "utf8")).toBe(typesSource());
  });

  test("nothing under src/ imports ajv: the compiled binary runs the generated code alone", () => {
    const files = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".ts"),
    );
    const importers = files.filter((f) =>
      /from\s+["']ajv|require\(["']ajv/.test(readFileSync(join(root, "src", f), "utf8")),
    );
    expect(importers).toEqual([]);
    expect(readFileSync(join(root, VALIDATOR_PATH), "utf8")).not.toMatch(/\bimport\b[^\n]*from|require\(/);
  });

  test("a record's enums are the code's lists: RawRecord is the schema's record type, so they must not drift", () => {
    const record = schema.$defs.record.properties;
    const error = record.error.anyOf[1] as { properties: { class: { enum: string[] }; reason: { enum: string[] } } };
    expect(error.properties.class.enum).toEqual([...ERROR_CLASSES]);
    expect(error.properties.reason.enum).toEqual([...FAILURE_REASONS]);
  });
});

describe("checkResult", () => {
  test("a document as a run writes it is read, with the error classes and send lag older v1 files lack filled in", () => {
    const doc = resultDoc(records()) as { summary: Record<string, unknown> };
    const { redirect: _r, client: _c, ...older } = doc.summary.errors as Record<string, number>;
    const { send_lag_ms: _s, ...summary } = doc.summary;
    const { doc: checked, from } = checkResult({ ...doc, summary: { ...summary, errors: older } }, "old.json");
    expect(from).toBe("llmbench.result/v1");
    expect(checked.summary.errors.redirect).toBe(0);
    expect(checked.summary.errors.client).toBe(0);
    expect(checked.summary.send_lag_ms).toBeNull();
  });

  test.each([
    [
      "a missing field, with what it should be",
      (d: any) => delete d.summary.requests.sent,
      "summary.requests.sent is missing, expected an integer ≥ 0",
    ],
    [
      "a field of the wrong type",
      (d: any) => (d.summary.duration_s = "3s"),
      'summary.duration_s is "3s", expected a number ≥ 0',
    ],
    [
      "a field no result has, in a record",
      (d: any) => (d.requests[1].ttft = 5),
      'requests[1] has a field "ttft" that no llmbench result has',
    ],
    [
      "a value outside its range",
      (d: any) => (d.config.repeat_ratio = 1.5),
      "config.repeat_ratio is 1.5, expected a number ≤ 1",
    ],
    [
      "an unknown error class",
      (d: any) => (d.requests[0].error = { class: "gremlins", message: "?" }),
      'requests[0].error.class is "gremlins", expected "connect", "timeout", "http_4xx", "http_5xx", "redirect", "protocol", "client" or "aborted"',
    ],
    [
      "a t-digest whose weights do not add up",
      (d: any) => (d.digests.ttft_ms.count += 1),
      "digests.ttft_ms is not a t-digest: centroid weights add up to 3, count is 4",
    ],
    [
      "counts that do not add up",
      (d: any) => (d.summary.requests.failed = 1),
      "summary.requests: succeeded 3 + failed 1 ≠ sent 3",
    ],
  ])("%s: one line naming the first failing path, and the fix; exit 2", (_what, edit, says) => {
    const doc = structuredClone(resultDoc(records()));
    edit(doc);
    const e = usageError(() => read(doc, "bad.json"));
    expect(e.message).toBe(`bad.json is a damaged llmbench result: ${says}`);
    expect(e.message).not.toContain("\n");
    expect(e.hint).toContain("llmbench run --output FILE");
    expect(e.exitCode).toBe(2);
  });

  test("the first failing path is reported, not a later one", () => {
    const doc = structuredClone(resultDoc(records())) as any;
    doc.requests[0].seq = -1;
    doc.requests[2].seq = "two";
    expect(usageError(() => read(doc)).message).toBe(
      "x.json is a damaged llmbench result: requests[0].seq is -1, expected an integer ≥ 0",
    );
  });

  test("a sweep's levels and each run of --runs are checked like the document", () => {
    const doc = resultDoc(records()) as any;
    const run = {
      complete: true,
      started_at: doc.started_at,
      finished_at: doc.finished_at,
      notes: [],
      summary: doc.summary,
      digests: doc.digests,
      requests: doc.requests,
    };
    expect(read({ ...doc, requests: null, runs: [run, run] }).runs.length).toBe(2);
    const bad = { ...run, requests: [...doc.requests.slice(0, 2), { ...doc.requests[2], tEnd: 1 }] };
    expect(usageError(() => read({ ...doc, requests: null, runs: [run, bad] })).message).toBe(
      "x.json is a damaged llmbench result: runs[1].requests[2] is impossible: tEnd 1 is before tSend 20",
    );
  });
});
