import { describe, expect, test } from "bun:test";
import { createSseParser, type SseEvent } from "../../../src/core/protocols/sse.ts";
import { decodeText, everySplit, fixtureBytes, SEEDS, splitBytes, utf8 } from "./helpers.ts";

interface Parsed {
  events: SseEvent[];
  comments: string[];
  retries: number[];
  pendingAtEnd: boolean;
}

function parseTexts(texts: string[]): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [], pendingAtEnd: false };
  const p = createSseParser({
    onEvent: (e) => out.events.push(e),
    onComment: (c) => out.comments.push(c),
    onRetry: (ms) => out.retries.push(ms),
  });
  for (const t of texts) p.feed(t);
  out.pendingAtEnd = p.pending();
  p.flush();
  return out;
}

const parse = (text: string): Parsed => parseTexts([text]);
const parseBytes = (chunks: Uint8Array[], options?: { ignoreBOM?: boolean }): Parsed =>
  parseTexts(decodeText(chunks, options));

const ev = (data: string, event?: string, id?: string): SseEvent => ({ event, data, id });

describe("SSE parser: WHATWG rules", () => {
  test("data lines are joined with LF, the trailing LF removed; a blank line dispatches", () => {
    expect(parse("data: a\ndata: b\n\n").events).toEqual([ev("a\nb")]);
    expect(parse("data: x\n\ndata: y\n\n").events).toEqual([ev("x"), ev("y")]);
  });

  test("LF, CRLF and CR line endings, mixed", () => {
    const expected = [ev("1"), ev("2"), ev("3\n4")];
    expect(parse("data: 1\n\ndata: 2\n\ndata: 3\ndata: 4\n\n").events).toEqual(expected);
    expect(parse("data: 1\r\n\r\ndata: 2\r\n\r\ndata: 3\r\ndata: 4\r\n\r\n").events).toEqual(expected);
    expect(parse("data: 1\r\rdata: 2\r\rdata: 3\rdata: 4\r\r").events).toEqual(expected);
    expect(parse("data: 1\r\n\ndata: 2\r\rdata: 3\ndata: 4\r\n\r").events).toEqual(expected);
  });

  test("CR at the end of one chunk and LF at the start of the next are one line ending", () => {
    const r = parseTexts(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
    expect(r.events).toEqual([ev("a\nb")]);
    // and a CR then a chunk that does not start with LF: the CR alone ended the line
    expect(parseTexts(["data: a\r", "data: b\r", "\r"]).events).toEqual([ev("a\nb")]);
    // an LF later in the next chunk is a line ending of its own (blank line → dispatch)
    expect(parseTexts(["data: a\r", "\n", "\n"]).events).toEqual([ev("a")]);
    // an empty chunk between CR and LF keeps the pair together
    expect(parseTexts(["data: a\r", "", "\n\r\n"]).events).toEqual([ev("a")]);
  });

  test("the event dispatches in the very feed() that completes it", () => {
    const got: string[] = [];
    const p = createSseParser({ onEvent: (e) => got.push(e.data) });
    p.feed("data: a\n");
    expect(got).toEqual([]);
    expect(p.pending()).toBe(true);
    p.feed("\r");
    expect(got).toEqual(["a"]);
    expect(p.pending()).toBe(false);
  });

  test("an event with no data is not dispatched; an empty data: line is data", () => {
    expect(parse("event: ping\n\n").events).toEqual([]);
    expect(parse("id: 7\n\n").events).toEqual([]);
    expect(parse("data\n\n").events).toEqual([ev("")]);
    expect(parse("data:\n\n").events).toEqual([ev("")]);
    expect(parse("data\ndata\n\n").events).toEqual([ev("\n")]);
  });

  test("comments and keep-alive lines", () => {
    const r = parse(": ping\n:\n:no-space\ndata: x\n: inside an event\n\n: keep-alive\n\n");
    expect(r.events).toEqual([ev("x")]);
    expect(r.comments).toEqual(["ping", "", "no-space", "inside an event", "keep-alive"]);
  });

  test("only one leading space of a value is removed; a field without colon has an empty value", () => {
    expect(parse("data:  two spaces\n\n").events).toEqual([ev(" two spaces")]);
    expect(parse("data:\tx\n\n").events).toEqual([ev("\tx")]);
    expect(parse("data:no space\n\n").events).toEqual([ev("no space")]);
    expect(parse("data: a: b\n\n").events).toEqual([ev("a: b")]);
    expect(parse("event\ndata: x\n\n").events).toEqual([ev("x")]);
  });

  test("event type and id; the last event ID persists; an id containing NUL is ignored", () => {
    const r = parse("event: add\nid: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n");
    expect(r.events).toEqual([
      ev("a", "add", "1"),
      ev("b", undefined, "1"),
      ev("c", undefined, "1"),
      ev("d", undefined, ""),
    ]);
    // the id is set even when the event does not dispatch
    expect(parse("id: 9\n\ndata: x\n\n").events).toEqual([ev("x", undefined, "9")]);
    // the event type is reset after each event, dispatched or not
    expect(parse("event: a\n\ndata: x\n\n").events).toEqual([ev("x")]);
  });

  test("unknown fields are ignored; field names are case-sensitive", () => {
    expect(parse("foo: bar\nData: no\ndata: yes\n\n").events).toEqual([ev("yes")]);
    expect(parse(" data: leading space is part of the name\n\n").events).toEqual([]);
  });

  test("retry: only ASCII digits", () => {
    expect(parse("retry: 3000\nretry: 1.5\nretry: x\nretry: -1\nretry:\nretry: 0\n\n").retries).toEqual([3000, 0]);
  });

  test("a BOM at the start of the stream is skipped, once", () => {
    expect(parse("\uFEFFdata: x\n\n").events).toEqual([ev("x")]);
    expect(parseTexts(["", "\uFEFF", "data: x\n\n"]).events).toEqual([ev("x")]);
    // a second BOM is part of the first line's field name: "\uFEFFdata" is an unknown field
    expect(parse("\uFEFF\uFEFFdata: x\n\n").events).toEqual([]);
    // a BOM later is data
    expect(parse("data: \uFEFFx\n\n").events).toEqual([ev("\uFEFFx")]);
    // bytes decoded with ignoreBOM keep the BOM: the parser skips it
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8("data: x\n\n")]);
    for (const split of everySplit(bytes)) {
      expect(parseBytes(split, { ignoreBOM: true }).events).toEqual([ev("x")]);
    }
  });

  test("end of stream mid-event: nothing dispatched, pending() says so", () => {
    expect(parse("data: x\n")).toMatchObject({ events: [], pendingAtEnd: true });
    expect(parse("data: x")).toMatchObject({ events: [], pendingAtEnd: true });
    expect(parse("data: x\n\ndata: y")).toMatchObject({ events: [ev("x")], pendingAtEnd: true });
    expect(parse("data: x\n\n")).toMatchObject({ events: [ev("x")], pendingAtEnd: false });
    expect(parse(": ping\n")).toMatchObject({ pendingAtEnd: false });
    expect(parse("")).toMatchObject({ pendingAtEnd: false });
  });

  test("flush() discards and resets; reset() forgets the last event ID and BOM state", () => {
    const got: SseEvent[] = [];
    const p = createSseParser({ onEvent: (e) => got.push(e) });
    p.feed("id: 1\ndata: lost");
    expect(p.flush()).toBe(true);
    expect(p.flush()).toBe(false);
    p.feed("\uFEFFdata: new\n\n");
    expect(got).toEqual([ev("new")]);
    p.feed("id: 5\n");
    p.reset();
    p.feed("data: again\n\n");
    expect(got).toEqual([ev("new"), ev("again")]);
  });

  test("multibyte characters (2, 3, 4 bytes) split across chunks at every position", () => {
    const text = "é€中😀👨‍👩‍👧‍👦 \u2028\u2029\u0085 \u200F\u202E";
    const stream = `event: ü\nid: ☃\ndata: ${text}\ndata: ${text}\r\n\r\n`;
    const expected = [ev(`${text}\n${text}`, "ü", "☃")];
    for (const split of everySplit(utf8(stream))) {
      expect(parseBytes(split).events).toEqual(expected);
    }
  });

  test("U+2028, U+2029 and NEL are not line endings; a raw NUL in data survives", () => {
    expect(parse("data: a\u2028b\u2029c\u0085d\0e\n\n").events).toEqual([ev("a\u2028b\u2029c\u0085d\0e")]);
  });
});

describe("SSE parser: recorded streams split at random boundaries", () => {
  for (const name of ["llamacpp-completions-stream.sse", "llamacpp-chat-stream.sse", "aiperf-mock-chat-stream.sse"]) {
    test(name, () => {
      const bytes = fixtureBytes(name);
      const whole = parseBytes([bytes]);
      expect(whole.pendingAtEnd).toBe(false);
      expect(whole.events.at(-1)).toEqual(ev("[DONE]"));
      for (const seed of SEEDS) {
        expect(parseBytes(splitBytes(bytes, seed))).toEqual(whole);
      }
    });
  }

  test("the same streams with CRLF and CR line endings give the same events", () => {
    const bytes = fixtureBytes("llamacpp-chat-stream.sse");
    const text = new TextDecoder().decode(bytes);
    const whole = parseBytes([bytes]);
    expect(whole.events.length).toBe(14);
    for (const eol of ["\r\n", "\r"]) {
      const other = utf8(text.replaceAll("\n", eol));
      for (const seed of SEEDS) expect(parseBytes(splitBytes(other, seed)).events).toEqual(whole.events);
    }
  });
});

describe("maxMessageChars", () => {
  const capped = (max: number) => {
    const events: SseEvent[] = [];
    return { events, p: createSseParser({ onEvent: (e) => events.push(e) }, { maxMessageChars: max }) };
  };

  test("a line may be exactly the cap long; one more character throws, before the line ends", () => {
    const { p, events } = capped(10);
    p.feed("data: 1234"); // 10 characters
    p.feed("\n\n");
    expect(events).toEqual([ev("1234")]);
    p.feed("data: 1234"); // 10, no line ending yet
    expect(() => p.feed("5")).toThrow("an SSE line without a line ending passed 10 B (--max-message)");
  });

  test("a long line arriving piece by piece throws as soon as it passes the cap", () => {
    const { p } = capped(1024);
    let fed = 0;
    expect(() => {
      for (;;) {
        p.feed(": ".padEnd(100, "x"));
        fed += 100;
      }
    }).toThrow("SSE line");
    expect(fed).toBe(1000); // the 11th piece made it 1100 > 1024
  });

  test("an event of many short data lines is capped by its data", () => {
    const { p } = capped(20);
    p.feed("data: aaaa\ndata: bbbb\ndata: cccc\n"); // data "aaaa\nbbbb\ncccc\n": 15
    p.feed("data: dddd\n"); // 20: at the cap
    expect(() => p.feed("data: e\n")).toThrow("an SSE event's data passed 20 B");
  });

  test("a complete line in one chunk past the cap throws too", () => {
    const { p } = capped(8);
    expect(() => p.feed("data: 123456789\n\n")).toThrow("an SSE line passed 8 B");
  });
});
