/** The result file's text: indented JSON with one line per record, the same document when parsed. */
import { describe, expect, test } from "bun:test";
import { formatDocument } from "../../src/render/json.ts";
import { resultDoc, streamed } from "../documents.ts";

describe("formatDocument", () => {
  const records = Array.from({ length: 50 }, (_, i) => streamed(i, i * 10, 5 + (i % 3), Array(99).fill(2.125)));
  const doc = resultDoc(records);

  test("parses back to the same document; each record is one line; counts named requests stay as they are", () => {
    const text = formatDocument(doc);
    expect(JSON.parse(text)).toEqual(doc);
    const lines = text.split("\n");
    expect(lines.filter((l) => l.startsWith('    {"seq":')).length).toBe(50);
    expect(text).toContain('    "requests": {\n      "sent": 50,');
    expect(text.endsWith("}\n")).toBe(true);
    // a sweep's levels keep their records one a line too; a document without records is plain indented JSON
    const sweep = {
      ...doc,
      sweep: { kind: "concurrency", levels: [{ concurrency: 1, requests: records.slice(0, 2) }] },
    };
    expect(JSON.parse(formatDocument(sweep))).toEqual(sweep);
    expect(formatDocument(sweep)).toContain('          {"seq":1,');
    const none = { ...doc, requests: null };
    expect(formatDocument(none)).toBe(`${JSON.stringify(none, null, 2)}\n`);
  });

  test("a streamed record of 100 tokens takes under half the bytes it took indented", () => {
    const records = (text: string) => text.length - formatDocument({ ...doc, requests: null }).length;
    const perRecordIndented = records(`${JSON.stringify(doc, null, 2)}\n`) / 50;
    const perRecord = records(formatDocument(doc)) / 50;
    expect(perRecord).toBeLessThan(perRecordIndented / 2);
  });
});
