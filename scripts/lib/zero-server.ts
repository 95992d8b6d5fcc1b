/** The built-in server with no added latency and no cache, in its own process: what the client benchmarks drive. */
/** `bin`: the binary, or the command that runs llmbench (e.g. bun and src/cli.ts). */
export async function startZeroServer(
  bin: string | readonly string[],
): Promise<{ url: string; server: ReturnType<typeof Bun.spawn> }> {
  const server = Bun.spawn(
    [
      ...(typeof bin === "string" ? [bin] : bin),
      "serve",
      "--port",
      "0",
      "--decode-step-ms",
      "0",
      "--batch-window-ms",
      "0",
      "--prefill-ms-per-token",
      "0",
      "--cache-size",
      "0",
      "--max-batch-size",
      "4096",
    ],
    { stdout: "pipe", stderr: "ignore" },
  );
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
  let head = "";
  while (!head.includes("\n")) head += new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  return { url: head.match(/listening on (\S+)/)![1], server };
}

/** `llmbench run` on `url`'s generate API, streamed, no repeats, no records, and `args`: its result document (exit 0 or 1). */
export async function runJson(bin: string, url: string, args: string[]): Promise<any> {
  const p = Bun.spawn(
    [
      bin,
      "run",
      "--endpoint",
      `${url}/generate`,
      "--stream",
      "--json",
      "--quiet",
      "--no-records",
      "--repeat-ratio",
      "0",
      ...args,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0 && code !== 1) throw new Error(`run failed (${code}): ${err}`);
  return JSON.parse(out);
}
