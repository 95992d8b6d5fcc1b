/** Test helpers: the recorded fixtures, and bytes split at seeded random boundaries. */
import { readFileSync } from "node:fs";
import { createRng } from "../../../src/core/rng.ts";
import type { DecodeEvent, ResponseDecoder } from "../../../src/core/protocols/types.ts";

/** the recorded streams, copied into the repository (test/fixtures/streams/README.md says from where) */
const STREAMS = new URL("../../fixtures/streams/", import.meta.url);

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, STREAMS)));
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Splits bytes at boundaries drawn from `seed`: many 1–4-byte chunks (splitting multibyte
 * characters and CRLF pairs), some larger ones, and a few empty chunks.
 */
export function splitBytes(bytes: Uint8Array, seed: number): Uint8Array[] {
  const rng = createRng(seed);
  const maxBig = [8, 64, 512][seed % 3];
  const chunks: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const r = rng.next();
    const size = r < 0.05 ? 0 : r < 0.55 ? 1 + rng.int(4) : 1 + rng.int(maxBig);
    chunks.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
    i += size;
  }
  return chunks;
}

/** Every split of `bytes` into two chunks, and into three around each position. */
export function everySplit(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) {
    out.push([bytes.subarray(0, i), bytes.subarray(i)]);
    if (i + 1 <= bytes.length) out.push([bytes.subarray(0, i), bytes.subarray(i, i + 1), bytes.subarray(i + 1)]);
  }
  return out;
}

/** Text chunks as the stream adapter makes them: one streaming TextDecoder over the byte chunks. */
export function decodeText(chunks: Uint8Array[], options?: { ignoreBOM?: boolean }): string[] {
  const td = new TextDecoder("utf-8", options);
  const texts = chunks.map((c) => td.decode(c, { stream: true }));
  texts.push(td.decode());
  return texts;
}

/** Feeds byte chunks through a TextDecoder into a decoder; all events, end() included. */
export function runDecoder(decoder: ResponseDecoder, chunks: Uint8Array[]): DecodeEvent[] {
  const events: DecodeEvent[] = [];
  for (const text of decodeText(chunks)) events.push(...decoder.push(text));
  events.push(...decoder.end());
  return events;
}

export function deltas(events: DecodeEvent[]): { text: string; reasoning: string }[] {
  return events.flatMap((e) => (e.type === "delta" ? [{ text: e.text, reasoning: e.reasoning }] : []));
}

export function joinedText(events: DecodeEvent[]): string {
  return deltas(events)
    .map((d) => d.text)
    .join("");
}

export const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);
