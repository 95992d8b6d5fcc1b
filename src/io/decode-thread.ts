/**
 * Where a response body is decoded and its output counted. A stream (SSE or NDJSON) goes to the
 * decoding thread: the thread that reads bodies only timestamps the chunks and hands their bytes over
 * (256 KiB at a time, and at the end), so UTF-8 decoding, parsing each event's JSON, checking it and
 * counting tokens never delay the timestamp of another request's chunk (README "Performance").
 * A whole JSON body is decoded where it was read: one parse, cheaper than a message to the thread.
 * Both run core/body.ts, so a record is the same either way.
 */
import { createBodyDecoder, finishBody, type BodyJob, type Decoded } from "../core/body.ts";
import { ProtocolError } from "../core/errors.ts";
import { framingOf } from "../core/protocols/framing.ts";
import type { TokenizerName } from "../core/tokenizer.ts";
import type { Clock } from "./clock.ts";

export interface BodySink {
  /** a chunk of the body that arrived at `t`; throws ProtocolError once the body is known to break its API's rules */
  push(chunk: Uint8Array, t: number): void;
  /**
   * The body ended at `t`: `complete` when it was read to its end (not cut by a failure), `budgetMs`
   * how long counting its tokens may take before the rest is extrapolated.
   */
  finish(t: number, complete: boolean, budgetMs: number): Promise<Decoded>;
}

/** A batch of one body's bytes for the decoding thread: chunk k is bytes[ends[k-1]..ends[k]), arrived at times[k]. */
export interface ToDecoder {
  id: number;
  /** with the first batch of a body */
  job?: BodyJob;
  bytes: Uint8Array;
  times: number[];
  ends: number[];
  /** with the last batch */
  last?: { t: number; complete: boolean; budgetMs: number };
}

export type FromDecoder = { id: number; failed: string } | { id: number; decoded: Decoded };

/** Bytes held before they go to the thread: the memory a stream costs this thread, whatever its length. */
const FLUSH_BYTES = 256 * 1024;

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where the body of a response with this content-type is decoded: on the decoding thread when it runs and the body is a stream. */
export function openBodySink(job: BodyJob, clock: Clock): BodySink {
  const thread = framingOf(job.contentType) === "json" ? null : running;
  return thread ? thread.open(job) : inlineSink(job, clock);
}

export function inlineSink(job: BodyJob, clock: Clock): BodySink {
  const body = createBodyDecoder(job);
  const utf8 = new TextDecoder();
  return {
    push: (chunk, t) => body.push(utf8.decode(chunk, { stream: true }), t),
    async finish(t, complete, budgetMs) {
      let failure: unknown = null;
      if (complete) {
        try {
          const rest = utf8.decode();
          if (rest !== "") body.push(rest, t);
          body.end(t);
        } catch (err) {
          failure = err;
        }
      }
      return finishBody(body, job.tokenizer, { now: clock, yieldNow, until: clock() + budgetMs }, failure);
    },
  };
}

interface Pending {
  failed?: string;
  done?: (d: Decoded) => void;
  lost?: (e: Error) => void;
}

interface DecodingThread {
  open(job: BodyJob): BodySink;
}

/** the decoding thread, once it has started and loaded its tokenizer; null: bodies are decoded inline */
let running: DecodingThread | null = null;
let starting: Promise<boolean> | undefined;

/** Whether streams are being decoded on the thread (it started and is alive). */
export function decodingOnThread(): boolean {
  return running !== null;
}

/** Where the worker's code is: set by scripts/build.ts for the compiled binary (its second entry point). */
declare const LLMBENCH_DECODE_WORKER: string | undefined;

/**
 * Start the process's decoding thread (once) and have it load `tokenizer`. Resolves false when no
 * thread could start: bodies are then decoded on the reading thread, as correctly, at more cost to it.
 */
export function startDecodingThread(tokenizer: TokenizerName): Promise<boolean> {
  starting ??= new Promise<boolean>((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(typeof LLMBENCH_DECODE_WORKER === "string" ? LLMBENCH_DECODE_WORKER : new URL("./decode-worker.ts", import.meta.url).href);
    } catch {
      resolve(false);
      return;
    }
    worker.unref(); // never what keeps the process alive
    const pending = new Map<number, Pending>();
    let dead: Error | undefined;
    worker.onmessage = (e: MessageEvent<FromDecoder | { ready: true }>) => {
      const m = e.data;
      if ("ready" in m) {
        running = thread;
        resolve(true);
        return;
      }
      const p = pending.get(m.id);
      if (p === undefined) return;
      if ("failed" in m) p.failed = m.failed;
      else {
        pending.delete(m.id);
        p.done?.(m.decoded);
      }
    };
    worker.onerror = (e) => {
      // a bug, not a body (it could not start, or threw): what is in flight loses its decoding, new bodies are decoded inline
      dead = new Error(`the decoding thread failed: ${e.message}`);
      running = null;
      resolve(false);
      for (const p of pending.values()) p.lost?.(dead);
      pending.clear();
    };
    let nextId = 0;
    const thread: DecodingThread = {
      open(job) {
        const id = nextId++;
        const state: Pending = {};
        pending.set(id, state);
        let first = true;
        let chunks: Uint8Array[] = [];
        let size = 0;
        let times: number[] = [];
        let ends: number[] = [];
        const send = (last?: ToDecoder["last"]) => {
          // one copy of the batch, handed over (transferred), not copied again
          const bytes = new Uint8Array(size);
          let at = 0;
          for (const c of chunks) {
            bytes.set(c, at);
            at += c.byteLength;
          }
          const msg: ToDecoder = { id, bytes, times, ends, ...(first ? { job } : {}), ...(last ? { last } : {}) };
          worker.postMessage(msg, [bytes.buffer]);
          first = false;
          chunks = [];
          size = 0;
          times = [];
          ends = [];
        };
        return {
          push(chunk, t) {
            if (state.failed !== undefined) throw new ProtocolError(state.failed);
            chunks.push(chunk);
            size += chunk.byteLength;
            times.push(t);
            ends.push(size);
            if (size >= FLUSH_BYTES) send();
          },
          finish(t, complete, budgetMs) {
            return new Promise<Decoded>((resolve, reject) => {
              if (dead) return reject(dead);
              state.done = resolve;
              state.lost = reject;
              send({ t, complete, budgetMs });
            });
          },
        };
      },
    };
    worker.postMessage({ load: tokenizer });
  });
  return starting;
}
