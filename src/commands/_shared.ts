/** Argument blocks several commands spread in. citty passes every value as a string; core/options.ts validates. */
import type { ArgsDef } from "citty";
import { SIGNAL_EXIT, STOP_SIGNALS, type StopSignal } from "../core/errors.ts";
import { checkWritable, writeOutput } from "../io/files.ts";
import { reexecForHttpCap } from "../io/http-cap.ts";
import { logger } from "../io/logger.ts";
import { formatDocument } from "../render/json.ts";

/** Where requests go, how they are sent, which prompts: `run` and `warm` spread it; parseTargetOptions parses it. */
export const targetArgs = {
  endpoint: { type: "string", description: "URL of the inference API", default: "http://localhost:8000/generate", valueHint: "url" },
  api: { type: "string", description: "generate | openai-completions | openai-chat (default: detected from the endpoint's path)", valueHint: "api" },
  model: { type: "string", description: "model name for OpenAI APIs (default: the first of GET /v1/models)" },
  header: { type: "string", description: "extra request header 'Name: value' (repeatable, or comma-separated)" },
  "api-key": { type: "string", description: "API key sent as Authorization: Bearer (or set LLMBENCH_API_KEY / OPENAI_API_KEY); never saved or printed" },
  timeout: { type: "string", description: "deadline per request over the whole body, in seconds (default 60)", valueHint: "s" },
  "max-body": { type: "string", description: "most bytes one response body may have once decoded, e.g. 64MiB (default); past it the request is a protocol error", valueHint: "size" },
  "max-message": { type: "string", description: "most one SSE event, NDJSON line or non-streamed JSON body may hold, e.g. 4MiB (default)", valueHint: "size" },
  stream: { type: "boolean", description: "ask for a streamed response (default: on for OpenAI APIs, off for generate); --no-stream turns it off" },
  "max-tokens": { type: "string", description: "tokens to generate per request (default 100)" },
  "ignore-eos": { type: "boolean", description: "ask OpenAI-compatible servers (vLLM, SGLang) to generate all --max-tokens (ignore_eos)" },
  "extra-body": { type: "string", description: "JSON object merged into every request body, e.g. '{\"ignore_eos\": true}'" },
  tokenizer: { type: "string", description: "counts tokens where the server gives no usage: whitespace | o200k | cl100k (default: whitespace for generate, o200k otherwise)" },
  seed: { type: "string", description: "seed of the prompts (and of run's repeats) (default: random, printed and saved)" },
  "input-tokens": { type: "string", description: "synthetic prompt length in tokens, or mean:stdev, e.g. 512:128 (default 32)" },
  "prefix-tokens": { type: "string", description: "tokens of shared text every synthetic prompt starts with, to test prefix caching (default 0)" },
  prompts: { type: "string", description: "prompts file: JSONL with a \"prompt\" or chat \"messages\" field per line, or ShareGPT JSON" },
} as const satisfies ArgsDef;

export const outputArgs = {
  output: { type: "string", alias: "o", description: "write the result JSON here (atomically; a symlink's target; a FIFO or device in place; - for stdout)", valueHint: "file" },
  json: { type: "boolean", description: "print the result document to stdout instead of the report" },
  quiet: { type: "boolean", alias: "q", description: "no progress line and no info messages on stderr" },
} as const satisfies ArgsDef;

/** What a command that sends requests needs around its work: messages, Ctrl-C, the live line. */
export interface CommandContext {
  info: (msg: string) => void;
  /** aborted at the first Ctrl-C, SIGTERM or SIGHUP */
  interrupt: AbortSignal;
  /** the signal that interrupted the command, once one has */
  interruptedBy: () => StopSignal | undefined;
  /** the exit code of an interruption: 130 SIGINT, 143 SIGTERM, 129 SIGHUP */
  interruptCode: () => number;
  /** a live line on stderr: only on a terminal, and not with --quiet */
  live: boolean;
  /** off a terminal (and not --quiet): print a status line now and then instead (a CI log shows progress) */
  status?: (line: string) => void;
  /** draw the live line (throttled to 10 a second; `force` draws anyway) */
  draw: (line: string, force?: boolean) => void;
  /** clear the live line (signals stay handled until the process ends: one that comes while the result is written waits for it) */
  close: () => void;
}

/** A second Ctrl-C at least this long after the first leaves at once; sooner, it is the same press seen twice. */
const SECOND_PRESS_MS = 500;

/**
 * Set-up shared by `run` and `warm`. Returns undefined when this process re-ran itself with Bun's
 * HTTP cap raised (the child's exit code is then set): the command has nothing left to do.
 */
export async function startCommand(o: { quiet: boolean; output: string | undefined }, inFlight: number): Promise<CommandContext | undefined> {
  if (o.output) await checkWritable(o.output); // before the run, not after it: nothing measured is lost to a typo
  const childCode = await reexecForHttpCap(inFlight, (msg) => logger.warn(msg));
  if (childCode !== undefined) {
    process.exitCode = childCode;
    return undefined;
  }
  const interrupt = new AbortController();
  let firstPress = 0;
  let by: StopSignal | undefined;
  // SIGTERM (timeout, docker stop, CI limits, Kubernetes) and SIGHUP (a closed terminal) do what Ctrl-C does.
  // After a re-exec the child sees a terminal's Ctrl-C twice (from the terminal and from its parent):
  // a second signal counts only when it comes SECOND_PRESS_MS after the first, and then leaves at once.
  const onSignal = (signal: StopSignal) => {
    if (!interrupt.signal.aborted) {
      by = signal;
      firstPress = performance.now();
      interrupt.abort(signal);
    } else if (performance.now() - firstPress >= SECOND_PRESS_MS) process.exit(SIGNAL_EXIT[by ?? signal]);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => onSignal(signal));
  const live = !o.quiet && process.stderr.isTTY === true;
  let lastDraw = 0;
  return {
    info: o.quiet ? () => {} : (m) => logger.info(m),
    interrupt: interrupt.signal,
    interruptedBy: () => by,
    interruptCode: () => SIGNAL_EXIT[by ?? "SIGINT"],
    live,
    status: !o.quiet && !live ? (line) => logger.info(line) : undefined,
    draw(line, force = false) {
      const t = performance.now();
      if (!live || (!force && t - lastDraw < 100)) return;
      lastDraw = t;
      process.stderr.write(`\r\x1b[2K${line}`);
    },
    close() {
      if (live) process.stderr.write("\r\x1b[2K");
    },
  };
}

/**
 * The report (or the document with --json) on stdout first, then the file: an unwritable file loses
 * nothing printed. `--output -` writes the document to stdout instead of the report (as --json does).
 */
export async function emit(doc: unknown, o: { json: boolean; output: string | undefined }, report: string | null, info: (m: string) => void): Promise<void> {
  const text = formatDocument(doc);
  const toStdout = o.output === "-";
  if (o.json || toStdout) process.stdout.write(text);
  else if (report !== null) process.stdout.write(report);
  if (o.output && !toStdout) {
    await writeOutput(o.output, text);
    info(`result written to ${o.output}`);
  }
}
