/**
 * The decoding thread (io/decode-thread.ts): decodes the streams handed to it, piece by piece with
 * the times they arrived, and counts their output. A second entry point of the compiled binary.
 */
import { createBodyDecoder, finishBody, type BodyDecoder, type BodyJob } from "../core/body.ts";
import { ProtocolError } from "../core/errors.ts";
import { loadTokenizer, type TokenizerName } from "../core/tokenizer.ts";
import type { FromDecoder, ToDecoder } from "./decode-thread.ts";

declare const self: Worker;

const open = new Map<number, { job: BodyJob; body: BodyDecoder; utf8: TextDecoder; failure: ProtocolError | null }>();
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));
const reply = (m: FromDecoder) => self.postMessage(m);

self.onmessage = (e: MessageEvent<ToDecoder | { load: TokenizerName }>) => {
  const m = e.data;
  if ("load" in m) {
    // the tokenizer is loaded before the first body: the thread is ready when it says so
    void loadTokenizer(m.load).then(() => self.postMessage({ ready: true }));
    return;
  }
  let body = open.get(m.id);
  if (body === undefined) {
    if (m.job === undefined) return;
    body = { job: m.job, body: createBodyDecoder(m.job), utf8: new TextDecoder(), failure: null };
    open.set(m.id, body);
  }
  const b = body;
  let start = 0;
  for (let k = 0; k < m.ends.length && b.failure === null; k++) {
    try {
      b.body.push(b.utf8.decode(m.bytes.subarray(start, m.ends[k]), { stream: true }), m.times[k]);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      b.failure = err;
      // told at once, not at the end: the reader stops reading a body that is already broken
      if (m.last === undefined) reply({ id: m.id, failed: err.message });
    }
    start = m.ends[k];
  }
  const last = m.last;
  if (last === undefined) return;
  open.delete(m.id);
  if (last.complete && b.failure === null) {
    try {
      const rest = b.utf8.decode();
      if (rest !== "") b.body.push(rest, last.t);
      b.body.end(last.t);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      b.failure = err;
    }
  }
  void loadTokenizer(b.job.tokenizer).then(async () => {
    const t0 = performance.now();
    const decoded = await finishBody(b.body, b.job.tokenizer, { now: () => performance.now(), yieldNow, until: t0 + last.budgetMs }, b.failure);
    reply({ id: m.id, decoded });
  });
};
