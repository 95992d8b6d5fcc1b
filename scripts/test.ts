export {};
/**
 * Every test: build dist/llmbench (some tests run the compiled binary), then `bun test`,
 * echoing its output and ending with one plain line `N passed, N failed` for CI.
 */
const bun = process.execPath;
const build = Bun.spawnSync([bun, "scripts/build.ts"], { stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) {
  console.log("0 passed, 1 failed");
  process.exit(build.exitCode ?? 1);
}

const proc = Bun.spawn([bun, "test", "--timeout", "30000", ...process.argv.slice(2)], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, FORCE_COLOR: "0" },
});
let text = "";
async function tee(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    out.write(chunk);
    text += decoder.decode(chunk, { stream: true });
  }
}
await Promise.all([tee(proc.stdout, process.stdout), tee(proc.stderr, process.stderr)]);
const code = await proc.exited;
const count = (word: string) => Number(text.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
const passed = count("pass");
const failed = count("fail") + (code !== 0 && count("fail") === 0 ? 1 : 0);
// a skipped test never passes silently (e.g. the browser tests without Chromium): say how many, before the last line
const skipped = count("skip");
if (skipped > 0) console.log(`${skipped} skipped (each says why in its name or above)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(code ?? 1);
