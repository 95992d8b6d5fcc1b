/**
 * `run --trace FILE`: the trace read before anything is sent (a bad line is exit 2 before the first
 * request), cut to --requests, and its requests as the run's workload (README "Trace replay").
 */
import { UsageError } from "../core/errors.ts";
import type { RunOptions } from "../core/options.ts";
import { checkBlocks, parseTrace, TRACE_BLOCK_TOKENS, tracePrompts } from "../core/trace.ts";
import type { Workload } from "../core/workload.ts";
import { contentSha256, readInputFile } from "../io/files.ts";

const HINT = `--trace takes a JSONL file, one request a line: {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}`;

/** The options with the trace read into `trace.loaded`, and `requests` set to how many of it are replayed. */
export async function withTrace(opts: RunOptions): Promise<RunOptions> {
  if (!opts.trace || opts.trace.loaded) return opts;
  const { file } = opts.trace;
  const text = await readInputFile(file, HINT);
  const trace = parseTrace(text, file);
  const blockTokens = opts.trace.blockTokens ?? TRACE_BLOCK_TOKENS[trace.format];
  checkBlocks(trace, blockTokens, file);
  const size = trace.entries.length;
  if (opts.requests !== undefined && opts.requests > size) {
    throw new UsageError(
      `--requests ${opts.requests}, but ${file} has ${size} requests`,
      `drop --requests to replay the whole trace, or give at most ${size}`,
    );
  }
  // --duration: every request due within it (the run stops at the deadline); else --requests of them, or all
  const requests = opts.durationMs !== undefined ? undefined : (opts.requests ?? size);
  const entries = requests === undefined ? trace.entries : trace.entries.slice(0, requests);
  return {
    ...opts,
    requests,
    trace: { ...opts.trace, loaded: { trace: { ...trace, entries }, blockTokens, sha256: contentSha256(text) } },
  };
}

/**
 * The trace's requests as a workload: prompt ids below `first` (warm-up) are `before`'s, id
 * `first + i` is the trace's i-th request in the order due (run.ts's pacer sends it with that id).
 */
export function traceWorkload(
  opts: RunOptions,
  count: (text: string) => number,
  first: number,
  before: Workload,
  salt?: string,
): Workload {
  const loaded = opts.trace?.loaded;
  if (!loaded) throw new Error("traceWorkload before withTrace");
  const prompts = tracePrompts(loaded.trace, { seed: opts.seed, blockTokens: loaded.blockTokens, count, salt });
  return {
    source: opts.trace!.file,
    // every id below `first + size` is a prompt of its own (target.ts counts an id past the size as a wrapped-around repeat)
    size: first + prompts.size,
    prompt: (id) => (id < first ? before.prompt(id) : prompts.request(id - first)),
  };
}

/** When each of the trace's requests is due, in ms after the start, at --trace-speed. */
export function traceArrivals(opts: RunOptions): number[] {
  const loaded = opts.trace?.loaded;
  if (!loaded) throw new Error("traceArrivals before withTrace");
  return loaded.trace.entries.map((e) => e.atMs / opts.trace!.speed);
}
