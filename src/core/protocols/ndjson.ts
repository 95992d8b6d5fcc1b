/**
 * A pure push parser for newline-delimited JSON (`application/x-ndjson`, JSON Lines):
 * one JSON value a line, LF or CRLF line endings, blank lines skipped, and a last line
 * without a line ending parsed at `flush()`.
 */
import { ProtocolError } from "../errors.ts";
import { formatSize } from "../size.ts";

export interface NdjsonCallbacks {
  /** one parsed line; `line` is its text (without the line ending) for error messages */
  onValue(value: unknown, line: string): void;
}

export interface NdjsonParser {
  /** throws ProtocolError on a line that is not JSON */
  feed(text: string): void;
  /** end of stream: parses a last line that had no line ending; throws ProtocolError when it is not JSON */
  flush(): void;
  /** true when part of a line (not only whitespace) is buffered */
  pending(): boolean;
  reset(): void;
}

/** The first `n` characters of a text, for error messages. */
export function excerpt(text: string, n = 200): string {
  return text.length <= n ? text : `${text.slice(0, n)}…`;
}

/** `maxLineChars`: most characters one line may hold; past it `feed` throws ProtocolError at once. */
export function createNdjsonParser(callbacks: NdjsonCallbacks, maxLineChars = Number.POSITIVE_INFINITY): NdjsonParser {
  let partial = "";
  const tooLong = (): never => {
    throw new ProtocolError(
      `an NDJSON line passed ${formatSize(maxLineChars)} (--max-message): no real answer sends one this long`,
      "max_message",
    );
  };

  function processLine(raw: string): void {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ProtocolError(`NDJSON line is not valid JSON: ${excerpt(line)}`);
    }
    callbacks.onValue(value, line);
  }

  function feed(chunk: string): void {
    let start = 0;
    let nl = chunk.indexOf("\n");
    while (nl !== -1) {
      let line = chunk.slice(start, nl);
      if (partial !== "") {
        line = partial + line;
        partial = "";
      }
      start = nl + 1;
      if (line.length > maxLineChars) tooLong();
      processLine(line);
      nl = chunk.indexOf("\n", start);
    }
    if (start < chunk.length) {
      partial += chunk.slice(start);
      if (partial.length > maxLineChars) tooLong();
    }
  }

  function flush(): void {
    const last = partial;
    partial = "";
    if (last !== "") processLine(last);
  }

  return {
    feed,
    flush,
    pending: () => partial.trim() !== "",
    reset: () => {
      partial = "";
    },
  };
}
