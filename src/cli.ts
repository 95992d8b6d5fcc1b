#!/usr/bin/env bun
/** Root command: subcommands are loaded lazily; errors become one line and an exit code in main.ts. */
import { defineCommand } from "citty";
import { VERSION } from "./version.ts";
import { runCli } from "./main.ts";

export const root = defineCommand({
  meta: { name: "llmbench", version: VERSION, description: "Benchmark runner for LLM inference APIs" },
  subCommands: {
    run: () => import("./commands/run.ts").then((m) => m.run),
    warm: () => import("./commands/warm.ts").then((m) => m.warm),
    serve: () => import("./commands/serve.ts").then((m) => m.serve),
    compare: () => import("./commands/compare.ts").then((m) => m.compare),
    merge: () => import("./commands/merge.ts").then((m) => m.merge),
    report: () => import("./commands/report.ts").then((m) => m.report),
  },
});

if (import.meta.main) await runCli(root);
