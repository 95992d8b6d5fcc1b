/** Replaced at build time by scripts/build.ts (`--define LLMBENCH_VERSION=...`). */
declare const LLMBENCH_VERSION: string | undefined;
export const VERSION: string = typeof LLMBENCH_VERSION === "string" ? LLMBENCH_VERSION : "0.1.0-dev";
