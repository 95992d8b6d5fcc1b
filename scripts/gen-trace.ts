/**
 * examples/traces/synthetic.jsonl: a small Mooncake-format trace (README "Trace replay"), generated
 * with a seed so that it can be made again and checked:
 *
 *   bun scripts/gen-trace.ts           # write the file
 *   bun scripts/gen-trace.ts --check   # exit 1 when the committed file differs from what the seed gives
 *
 * What it holds: a steady background of arrivals with bursts on top; most requests open with one of a
 * few shared system prompts (1–2 blocks); conversations of up to 5 turns, each turn's prompt the
 * previous turn's full blocks and new ones after them (history, answer, next question), a few
 * seconds apart; and one-off requests that share nothing. Hash ids are numbered as Mooncake's are:
 * one per distinct prefix of 512-token blocks, so an id seen before means the same prefix.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRng, type Rng } from "../src/core/rng.ts";

export const TRACE_PATH = "examples/traces/synthetic.jsonl";
const SEED = 16;
const LINES = 300;
const BLOCK = 512;

interface Line {
  timestamp: number;
  input_length: number;
  output_length: number;
  hash_ids: number[];
}

const between = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1);
/** an exponential gap of mean `mean` ms */
const expGap = (rng: Rng, mean: number) => -Math.log(1 - rng.next()) * mean;

export function generateTrace(seed = SEED, lines = LINES): Line[] {
  const rng = createRng(seed);
  let nextId = 0;
  const fresh = (n: number) => Array.from({ length: n }, () => nextId++);
  const systems = [fresh(1), fresh(2), fresh(1), fresh(2)];
  const out: Line[] = [];
  /** a request: its blocks, the last one cut short by 0..511 tokens */
  const request = (timestamp: number, ids: number[]): Line => ({
    timestamp: Math.round(timestamp),
    input_length: ids.length * BLOCK - rng.int(BLOCK),
    output_length: between(rng, 8, 160),
    hash_ids: ids,
  });
  /** arrival times of the conversations and one-offs: ~4 a second, with a burst of 6–15 every ~8 s */
  let t = 0;
  let nextBurst = expGap(rng, 8000);
  // until `lines` requests arrive by t: every later arrival would come after them
  while (out.filter((l) => l.timestamp <= t).length < lines) {
    t += expGap(rng, 250);
    const starts = [t];
    if (t >= nextBurst) {
      for (let k = between(rng, 6, 15); k > 0; k--) starts.push(t + rng.next() * 150);
      nextBurst = t + expGap(rng, 8000);
    }
    for (const start of starts) {
      if (rng.next() < 0.15) {
        // a one-off: shares nothing
        out.push(request(start, fresh(between(rng, 1, 4))));
        continue;
      }
      // a conversation under a shared system prompt: each turn extends the last turn's full blocks
      let ids = [...systems[rng.int(systems.length)], ...fresh(between(rng, 1, 2))];
      let at = start;
      for (let turn = between(rng, 1, 5); turn > 0; turn--) {
        out.push(request(at, ids));
        ids = [...ids.slice(0, -1), ...fresh(between(rng, 1, 2))];
        at += 2000 + rng.next() * 6000;
      }
    }
  }
  // the first `lines` requests to arrive (later turns of the last conversations are cut)
  return out.sort((a, b) => a.timestamp - b.timestamp).slice(0, lines);
}

export function traceText(seed = SEED, lines = LINES): string {
  return `${generateTrace(seed, lines)
    .map((l) => JSON.stringify(l))
    .join("\n")}\n`;
}

if (import.meta.main) {
  const text = traceText();
  if (process.argv.includes("--check")) {
    if (readFileSync(TRACE_PATH, "utf8") !== text) {
      console.error(`${TRACE_PATH} differs from what scripts/gen-trace.ts makes: run bun scripts/gen-trace.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(TRACE_PATH, text);
    console.error(`wrote ${TRACE_PATH}`);
  }
}
