import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../src/core/errors.ts";
import { createNdjsonParser } from "../../../src/core/protocols/ndjson.ts";
import { decodeText, SEEDS, splitBytes, utf8 } from "./helpers.ts";

function parseTexts(texts: string[]): unknown[] {
  const values: unknown[] = [];
  const p = createNdjsonParser({ onValue: (v) => values.push(v) });
  for (const t of texts) p.feed(t);
  p.flush();
  return values;
}

describe("NDJSON parser", () => {
  test("LF and CRLF; blank and whitespace-only lines skipped", () => {
    expect(parseTexts(['{"a":1}\n\n{"a":2}\r\n  \r\n\t\n[3]\n'])).toEqual([{ a: 1 }, { a: 2 }, [3]]);
  });

  test("a last line without a line ending is parsed at flush()", () => {
    const values: unknown[] = [];
    const p = createNdjsonParser({ onValue: (v) => values.push(v) });
    p.feed('{"a":1}\n{"a"');
    expect(values).toEqual([{ a: 1 }]);
    expect(p.pending()).toBe(true);
    p.feed(":2}");
    expect(values).toEqual([{ a: 1 }]);
    p.flush();
    expect(values).toEqual([{ a: 1 }, { a: 2 }]);
    expect(p.pending()).toBe(false);
  });

  test("a line is delivered in the feed() that completes it, with its text", () => {
    const lines: string[] = [];
    const p = createNdjsonParser({ onValue: (_v, line) => lines.push(line) });
    p.feed('{"x":"y"}\r');
    expect(lines).toEqual([]);
    p.feed("\n");
    expect(lines).toEqual(['{"x":"y"}']);
  });

  test("a line that is not JSON is a ProtocolError naming the line", () => {
    expect(() => parseTexts(['{"a":1}\n{"a":\n'])).toThrow(ProtocolError);
    expect(() => parseTexts(['{"a":1}\n{"a":'])).toThrow('NDJSON line is not valid JSON: {"a":');
  });

  test("split at random boundaries, multibyte text intact", () => {
    const lines = [{ text: "é€中😀" }, { text: "\u2028\u2029\u0000 \ud83d\ude00" }, { done: true }];
    const bytes = utf8(lines.map((l) => JSON.stringify(l)).join("\r\n"));
    for (const seed of SEEDS) expect(parseTexts(decodeText(splitBytes(bytes, seed)))).toEqual(lines);
  });
});
