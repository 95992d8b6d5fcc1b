/**
 * The processes of `run --workers N`: this same program started again (the compiled binary, or
 * bun + the script) with a message channel (Bun's IPC), a temporary directory for their result
 * files, and the worker's side of the channel.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkerMessage } from "../core/workers.ts";
import { selfProgram } from "./http-cap.ts";

export interface WorkerProcess {
  send(msg: WorkerMessage): void;
  kill(signal: NodeJS.Signals): void;
  /** its exit code, and the end of what it wrote to stderr */
  exited: Promise<{ code: number; stderr: string }>;
}

/** Start `llmbench <args>` as a worker; `onMessage` receives what it sends. */
export function startWorker(
  args: string[],
  env: Record<string, string>,
  onMessage: (msg: WorkerMessage) => void,
): WorkerProcess {
  const child = Bun.spawn([...selfProgram(), ...args], {
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    ipc: (msg) => onMessage(msg as WorkerMessage),
    serialization: "json",
  });
  const stderr = new Response(child.stderr).text();
  return {
    send: (msg) => {
      try {
        child.send(msg);
      } catch {
        // it has exited: its exit code says why
      }
    },
    kill: (signal) => child.kill(signal),
    exited: Promise.all([child.exited, stderr]).then(([code, text]) => ({
      code,
      stderr: text.trim().split("\n").slice(-3).join("\n"),
    })),
  };
}

/** A directory for the workers' result files, and how to remove it. */
export function workerDir(): { path: string; file(i: number): string; has(i: number): boolean; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "llmbench-workers-"));
  const file = (i: number) => join(path, `worker-${i}.json`);
  return { path, file, has: (i) => existsSync(file(i)), remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** This process is a worker of `run --workers`: the channel to its parent, or undefined. */
export function parentChannel():
  | { send(msg: WorkerMessage): void; onMessage(f: (msg: WorkerMessage) => void): void; close(): void }
  | undefined {
  if (process.env.LLMBENCH_WORKER !== "1" || typeof process.send !== "function") return undefined;
  return {
    send: (msg) => process.send!(msg),
    onMessage: (f) => process.on("message", (m) => f(m as WorkerMessage)),
    close: () => process.disconnect?.(),
  };
}
