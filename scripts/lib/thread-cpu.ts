/**
 * Preloaded into a measured process (`bun --preload scripts/lib/thread-cpu.ts …`): at exit, prints to
 * stderr the CPU time of its main JavaScript thread (the one that timestamps chunks) and of the whole
 * process, in ms: `THREAD_CPU main=… process=…`.
 */
const start = process.threadCpuUsage();
process.on("exit", () => {
  const main = process.threadCpuUsage(start);
  const all = process.cpuUsage();
  process.stderr.write(
    `\nTHREAD_CPU main=${(main.user + main.system) / 1000} process=${(all.user + all.system) / 1000}\n`,
  );
});
