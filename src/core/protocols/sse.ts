/**
 * A pure push parser for `text/event-stream`, following the WHATWG HTML spec
 * ("Server-sent events", §9.2.6 Interpreting an event stream) to the letter.
 *
 * Text arrives already decoded (the stream adapter runs a TextDecoder with
 * `{stream: true}`), in chunks split anywhere, even between the CR and LF of
 * one line ending. Nothing is delayed: a line is processed as soon as its end
 * is seen, so an event is dispatched from the very `feed()` that completes it.
 */

export interface SseEvent {
  /** the `event:` field; undefined when none was given (the spec's default "message") */
  event: string | undefined;
  /** the `data:` lines joined with "\n" */
  data: string;
  /**
   * the last event ID (WHATWG: it persists across events until an `id:` field changes it);
   * undefined until the stream sets one
   */
  id: string | undefined;
}

import { ProtocolError } from "../errors.ts";
import { formatSize } from "../size.ts";

export interface SseCallbacks {
  onEvent(event: SseEvent): void;
  /** text after the ":" of a comment line, one leading space removed (`: ping` → "ping") */
  onComment?(text: string): void;
  /** a valid `retry:` field (ASCII digits only), in ms */
  onRetry?(ms: number): void;
}

export interface SseLimits {
  /**
   * Most characters one line (a comment line included) or one event's data may hold; past it
   * `feed` throws ProtocolError at once, without waiting for the line's end. Default: no limit.
   */
  maxMessageChars?: number;
}

export interface SseParser {
  feed(text: string): void;
  /**
   * End of stream. Per WHATWG an incomplete event (or unterminated last line) is discarded,
   * never dispatched. Returns true when something was discarded, i.e. `pending()` was true.
   * The parser is reset afterwards and may be reused for a new stream.
   */
  flush(): boolean;
  /**
   * True when the stream, were it to end now, would end mid-event: part of a line is buffered,
   * or fields of an event were read but no blank line has dispatched it yet.
   */
  pending(): boolean;
  /** forget everything, as for a new stream (BOM handling and last event ID included) */
  reset(): void;
}

const LF = 10;
const CR = 13;
const BOM = "\uFEFF";

export function createSseParser(callbacks: SseCallbacks, limits: SseLimits = {}): SseParser {
  const { onEvent, onComment, onRetry } = callbacks;
  const max = limits.maxMessageChars ?? Number.POSITIVE_INFINITY;
  const tooLong = (what: string): never => {
    throw new ProtocolError(
      `${what} passed ${formatSize(max)} (--max-message): no real answer sends one this long`,
      "max_message",
    );
  };

  /** unterminated tail of the text fed so far */
  let partial = "";
  /** the previous chunk ended with CR: an LF at the start of the next one belongs to it */
  let skipLf = false;
  /** no character seen yet: a leading BOM is still to be skipped */
  let atStart = true;
  let data = "";
  let eventType = "";
  /** fields seen since the last dispatch (an event being built, even if it will not dispatch) */
  let building = false;
  let lastEventId: string | undefined;

  function dispatch(): void {
    building = false;
    if (data === "") {
      eventType = "";
      return;
    }
    const payload = data.charCodeAt(data.length - 1) === LF ? data.slice(0, -1) : data;
    const type = eventType === "" ? undefined : eventType;
    data = "";
    eventType = "";
    onEvent({ event: type, data: payload, id: lastEventId });
  }

  function processLine(line: string): void {
    if (line === "") {
      dispatch();
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) {
      onComment?.(line.charCodeAt(1) === 32 ? line.slice(2) : line.slice(1));
      return;
    }
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case "event":
        eventType = value;
        building = true;
        break;
      case "data":
        data += value + "\n";
        if (data.length > max) tooLong("an SSE event's data");
        building = true;
        break;
      case "id":
        if (!value.includes("\0")) lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) onRetry?.(Number.parseInt(value, 10));
        break;
      default:
        // unknown fields are ignored
        break;
    }
  }

  function feed(chunk: string): void {
    if (chunk === "") return;
    let text = chunk;
    if (atStart) {
      atStart = false;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    let i = 0;
    if (skipLf) {
      skipLf = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    const n = text.length;
    let lineStart = i;
    // line ends found with indexOf (native, a few ns a chunk), not a JS loop over every character
    let nextLf = -1;
    let nextCr = -1;
    for (;;) {
      if (nextLf < lineStart) nextLf = indexOr(text, "\n", lineStart, n);
      if (nextCr < lineStart) nextCr = indexOr(text, "\r", lineStart, n);
      const end = Math.min(nextLf, nextCr);
      if (end >= n) break;
      const c = text.charCodeAt(end);
      let line = text.slice(lineStart, end);
      if (partial !== "") {
        line = partial + line;
        partial = "";
      }
      if (line.length > max) tooLong("an SSE line");
      i = end + 1;
      if (c === CR) {
        if (i === n) skipLf = true;
        else if (text.charCodeAt(i) === LF) i++;
      }
      lineStart = i;
      processLine(line);
    }
    if (lineStart < n) {
      partial += text.slice(lineStart);
      if (partial.length > max) tooLong("an SSE line without a line ending");
    }
  }

  function pending(): boolean {
    return partial !== "" || building;
  }

  function reset(): void {
    partial = "";
    skipLf = false;
    atStart = true;
    data = "";
    eventType = "";
    building = false;
    lastEventId = undefined;
  }

  function flush(): boolean {
    const discarded = pending();
    reset();
    return discarded;
  }

  return { feed, flush, pending, reset };
}

/** The index of `ch` in `text` from `from`, or `n` (the text's length) when there is none. */
function indexOr(text: string, ch: string, from: number, n: number): number {
  const at = text.indexOf(ch, from);
  return at === -1 ? n : at;
}
