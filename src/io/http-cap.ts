/**
 * Bun's fetch keeps at most 256 requests in flight per process unless BUN_CONFIG_MAX_HTTP_REQUESTS
 * is set when the process starts (setting it later changes nothing); past the cap, requests wait
 * silently inside Bun and the wait lands in TTFT. So a run that needs more re-executes itself once
 * with the variable set, and passes on the child's exit code.
 */
import { readFileSync } from "node:fs";
import { parseProcLimits, planFdLimit, type FdLimit } from "../core/fdlimit.ts";
import { STOP_SIGNALS } from "../core/errors.ts";

const BUN_DEFAULT_CAP = 256;
const VAR = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** the largest value Bun takes */
export const MAX_CAP = 65_535;

/** This same program: the compiled binary, or bun + the script. */
export function selfProgram(): string[] {
  const compiled = process.argv[1]?.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/.test(process.argv[1] ?? "");
  return compiled ? [process.execPath] : [process.execPath, process.argv[1]];
}

/** The command line that starts this same program again. */
function selfCommand(): string[] {
  return [...selfProgram(), ...process.argv.slice(2)];
}

/**
 * When `needed` requests may be in flight and this process cannot hold them, run this command again
 * in a child with the cap raised, and return its exit code; otherwise return undefined (go on here).
 */
export async function reexecForHttpCap(
  needed: number,
  warn: (msg: string) => void = () => {},
): Promise<number | undefined> {
  const current = Number(process.env[VAR] ?? BUN_DEFAULT_CAP);
  if (needed <= current || process.env.LLMBENCH_REEXEC === "1") return undefined;
  const cap = Math.min(MAX_CAP, Number.isFinite(needed) ? Math.max(needed, 1024) : MAX_CAP);
  // the child also needs a descriptor per connection: raise the soft limit in a shell that execs it
  const fds = planFdLimit(needed, openFileLimit());
  if (fds.warning) warn(fds.warning);
  const command =
    fds.raiseTo !== undefined && process.platform !== "win32"
      ? ["/bin/sh", "-c", `ulimit -n ${fds.raiseTo} && exec "$@"`, "llmbench", ...selfCommand()]
      : selfCommand();
  const child = Bun.spawn(command, {
    env: { ...process.env, [VAR]: String(cap), LLMBENCH_REEXEC: "1" },
    stdio: ["inherit", "inherit", "inherit"],
  });
  // Ctrl-C reaches the whole process group; a signal sent to this process alone (timeout, docker stop,
  // a CI job limit) is passed on, and the child's code (130, 143, 129) becomes this process's
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  const code = await child.exited;
  for (const signal of STOP_SIGNALS) process.off(signal, forward);
  return code;
}

/** This process's open-file limit (Linux: /proc/self/limits); undefined elsewhere. */
export function openFileLimit(): FdLimit | undefined {
  try {
    return parseProcLimits(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return undefined;
  }
}
