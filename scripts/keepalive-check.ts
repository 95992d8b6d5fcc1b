/**
 * Runs against a server that closes the connection after every response while advertising
 * keep-alive (llama.cpp's behaviour; the server of test/integration/closing-server.ts): 200
 * requests at concurrency 1, 8 and 64, streamed and not, with `src/cli.ts run` of this tree — and of
 * another checkout with --base DIR, to see what it did before. Prints errors and retries per run.
 * Usage: bun scripts/keepalive-check.ts [--base DIR] [--requests 200] [--linger-ms 100]
 */
import { closingServer } from "../test/integration/closing-server.ts";
import { arg } from "./lib/args.ts";

const requests = arg("requests", "200");
const lingerMs = Number(arg("linger-ms", "100"));
const trees: Array<[string, string]> = [["this tree", `${import.meta.dir}/..`]];
if (arg("base", "")) trees.push([arg("base", ""), arg("base", "")]);

console.log(
  `close after every response (${lingerMs} ms after it), keep-alive advertised; ${requests} requests, 8 warm-up, generate API`,
);
console.log("tree                     stream  c   errors  connect  retried  retries failed  server resets");
for (const [name, root] of trees) {
  for (const stream of [false, true]) {
    for (const c of [1, 8, 64]) {
      const server = await closingServer({ lingerMs });
      const args = [
        "run",
        "--endpoint",
        `${server.url}/generate`,
        "--json",
        "--quiet",
        "--no-records",
        "--repeat-ratio",
        "0",
        "--warmup",
        "8",
        "-n",
        requests,
        "-c",
        String(c),
        stream ? "--stream" : "--no-stream",
        "--seed",
        "1",
      ];
      const p = Bun.spawn([process.execPath, `${root}/src/cli.ts`, ...args], { stdout: "pipe", stderr: "pipe" });
      const [out] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      const s = JSON.parse(out).summary;
      const conn = s.connections ?? { retried_requests: "-", retries_failed: "-" };
      console.log(
        `${name.slice(0, 24).padEnd(25)}${(stream ? "yes" : "no").padEnd(8)}${String(c).padEnd(4)}${String(s.requests.failed).padStart(6)}${String(s.errors.connect).padStart(9)}${String(conn.retried_requests).padStart(9)}${String(conn.retries_failed).padStart(16)}${String(server.resetReused).padStart(15)}`,
      );
      await server.stop();
    }
  }
}
process.exit(0);
