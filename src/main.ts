/** The one place that turns a thrown error into a one-line message and an exit code. */
import { renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
import { EXIT, LlmbenchError, UsageError } from "./core/errors.ts";
import { BUILD, versionLine } from "./version.ts";
import { suggest } from "./core/options/argv.ts";

/** citty's own usage errors (unknown command, missing argument) */
const isCittyError = (e: unknown): e is Error & { code: string } =>
  e instanceof Error && e.name === "CLIError" && typeof (e as { code?: unknown }).code === "string";

export async function runCli(root: CommandDef<ArgsDef>, rawArgs: string[] = process.argv.slice(2)): Promise<void> {
  try {
    // `llmbench help run` is `llmbench run --help`
    if (rawArgs[0] === "help") rawArgs = [...rawArgs.slice(1), "--help"];
    if (rawArgs.some((a) => a === "--help" || a === "-h") || rawArgs.length === 0) {
      const [cmd, parent] = await resolve(root, rawArgs);
      const usage = await renderUsage(cmd, parent);
      // colours only on a terminal
      process.stdout.write(`${process.stdout.isTTY ? usage : Bun.stripANSI(usage)}\n`);
      if (rawArgs.length === 0) process.exitCode = EXIT.usage; // no command given
      return;
    }
    const commands = Object.keys(
      (await (typeof root.subCommands === "function" ? root.subCommands() : root.subCommands)) ?? {},
    );
    const name = rawArgs[0];
    if (!name.startsWith("-") && !commands.includes(name)) {
      // the rule flags use too: the command the name begins, else the nearest close one
      const near = suggest(name, commands);
      throw new UsageError(
        `unknown command '${name}'`,
        `${near ? `did you mean 'llmbench ${near}'? ` : ""}commands: ${commands.join(", ")}`,
      );
    }
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      // compiled: what the build wrote in; from source: say so, and ask git for the commit
      const build = BUILD.target ? BUILD : { ...BUILD, commit: (await import("./io/source-commit.ts")).sourceCommit() };
      process.stdout.write(`${versionLine(build, { os: process.platform, arch: process.arch, bun: Bun.version })}\n`);
      return;
    }
    await runCommand(root, { rawArgs });
  } catch (err) {
    // set the code and return, never process.exit(): that would drop stdout a pipe has not taken yet (--json | jq)
    if (err instanceof LlmbenchError) {
      process.stderr.write(`llmbench: error: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ""}\n`);
      process.exitCode = err.exitCode;
    } else if (isCittyError(err)) {
      process.stderr.write(`llmbench: error: ${err.message}\n  fix: see 'llmbench --help'\n`);
      process.exitCode = EXIT.usage;
    } else {
      // a bug, not a verdict: its own exit code (never 1, which CI reads as "regressed"), the stack, and where to report it
      process.stderr.write(
        `llmbench: internal error: ${(err as Error)?.stack ?? err}\nllmbench: this is a bug in llmbench; please report it with the command line and the message above\n`,
      );
      process.exitCode = EXIT.internal;
    }
  }
}

/** The subcommand named in rawArgs (for --help of a subcommand). */
async function resolve(
  root: CommandDef<ArgsDef>,
  rawArgs: string[],
): Promise<[CommandDef<ArgsDef>, CommandDef<ArgsDef> | undefined]> {
  const subs = await (typeof root.subCommands === "function" ? root.subCommands() : root.subCommands);
  const name = rawArgs.find((a) => !a.startsWith("-"));
  const loader = name && subs ? (subs as Record<string, unknown>)[name] : undefined;
  if (!loader) return [root, undefined];
  const sub = await (typeof loader === "function"
    ? (loader as () => Promise<CommandDef<ArgsDef>>)()
    : (loader as CommandDef<ArgsDef>));
  return [sub, root];
}
