/**
 * The first-run demo: start the compiled binary's built-in server on a free port, benchmark it
 * with the compiled binary, print the report. `npm run demo` builds first.
 * Extra arguments go to `llmbench run` (e.g. `npm run demo -- --concurrency 16`).
 */
const bin = `${import.meta.dir}/../dist/llmbench`;
if (!(await Bun.file(bin).exists())) {
  console.error("dist/llmbench is missing: run `npm run build` first");
  process.exit(2);
}

const server = Bun.spawn([bin, "serve", "--port", "0"], { stdout: "pipe", stderr: "inherit" });
const reader = server.stdout.getReader();
let head = "";
while (!head.includes("\n")) {
  const { done, value } = await reader.read();
  if (done) break;
  head += new TextDecoder().decode(value);
}
const url = head.match(/listening on (\S+)/)?.[1];
if (!url) {
  console.error(`the built-in server did not start: ${head}`);
  server.kill();
  process.exit(3);
}
console.error(`built-in server: ${url} (llmbench serve)\n`);

const args = [
  "run",
  "--endpoint",
  `${url}/generate`,
  "--stream",
  "--requests",
  "100",
  "--concurrency",
  "8",
  "--max-tokens",
  "64",
  "--output",
  "dist/demo-result.json",
  ...process.argv.slice(2),
];
console.error(`$ dist/llmbench ${args.join(" ")}`);
const run = Bun.spawn([bin, ...args], { stdout: "inherit", stderr: "inherit" });
const code = await run.exited;
server.kill("SIGTERM");
await server.exited;
process.exit(code);
