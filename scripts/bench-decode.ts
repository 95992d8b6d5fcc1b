/**
 * What decoding a streamed answer costs per chunk: this tree's openai-chat decoder against another
 * checkout's, in one process, alternating blocks of 5,000 responses (32 content chunks + [DONE],
 * one network chunk per event, as a streaming server sends them); median of 7 blocks each.
 * Usage: bun scripts/bench-decode.ts --base DIR
 */
import { resolve } from "node:path";

const argv = process.argv.slice(2);
const i = argv.indexOf("--base");
if (i < 0) throw new Error("pass --base DIR: the checkout to compare against");
const a = await import(resolve(`${import.meta.dir}/../src/core/protocols/index.ts`));
const b = await import(resolve(argv[i + 1], "src/core/protocols/index.ts"));
const chunk = (c: string) =>
  `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: { content: c }, finish_reason: null }] })}\n\n`;
const body = `${Array.from({ length: 32 }, (_, k) => chunk(` w${k}`)).join("")}data: [DONE]\n\n`;
const pieces = body.split(/(?<=\n\n)/);
const RESPONSES = 5000;
function run(
  mod: { getProtocol(api: string): { createDecoder(ct: string): { push(t: string): unknown[]; end(): unknown[] } } },
  n: number,
): number {
  const proto = mod.getProtocol("openai-chat");
  const t0 = performance.now();
  for (let r = 0; r < n; r++) {
    const d = proto.createDecoder("text/event-stream");
    for (const p of pieces) d.push(p);
    d.end();
  }
  return performance.now() - t0;
}
run(a, 2000);
run(b, 2000);
const ms = { a: [] as number[], b: [] as number[] };
for (let k = 0; k < 7; k++) {
  ms.a.push(run(a, RESPONSES));
  ms.b.push(run(b, RESPONSES));
}
const perChunkUs = (xs: number[]) => (1000 * xs.sort((x, y) => x - y)[3]) / RESPONSES / pieces.length;
console.log(
  `${RESPONSES} responses × ${pieces.length} SSE events, median of 7 alternating blocks: this tree ${perChunkUs(ms.a).toFixed(2)} µs a chunk, ${argv[i + 1]} ${perChunkUs(ms.b).toFixed(2)} µs a chunk`,
);
