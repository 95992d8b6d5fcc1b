/** `--output PATH` with real files: a regular file is replaced atomically; a symlink's target is written; a FIFO or a character device in place; `-` is stdout. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { cli, scripted } from "./helpers.ts";

const root = mkdtempSync(join(tmpdir(), "llmbench-output-"));
let n = 0;
/** a fresh folder a test */
const folder = () => {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
};
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

let peer: ReturnType<typeof scripted>;
beforeAll(() => {
  peer = scripted(() => Response.json({ text: " a b c", cached: false }));
});
afterAll(() => peer.stop());
const runArgs = () => ["run", "--endpoint", `${peer.url}/generate`, "-n", "3", "--warmup", "0", "--seed", "5"];

/** Two shard files of one benchmark (different seeds), for merge. */
async function twoShards(d: string): Promise<string[]> {
  const files = [join(d, "s1.json"), join(d, "s2.json")];
  for (const [i, f] of files.entries())
    expect((await cli([...runArgs().slice(0, -1), String(i + 1), "-o", f])).code).toBe(0);
  return files;
}

/** Run `mkfifo`; the test's own reader drains the FIFO while the binary writes it. */
function mkfifo(path: string) {
  const r = Bun.spawnSync(["mkfifo", path]);
  if (r.exitCode !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

describe("--output", () => {
  test("a regular file is replaced by rename, and no temporary file is left", async () => {
    const d = folder();
    const out = join(d, "r.json");
    writeFileSync(out, "old");
    const before = statSync(out).ino;
    const r = await cli([...runArgs(), "--output", out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).schema).toBe("llmbench.result/v1");
    expect(statSync(out).ino).not.toBe(before); // a new file renamed into place
    expect(temps(d)).toEqual([]);
  });

  test("a symlink's target is written (in the target's own folder); the link stays a link", async () => {
    const d = folder();
    const targetDir = join(d, "elsewhere");
    mkdirSync(targetDir);
    const target = join(targetDir, "real.json");
    writeFileSync(target, "old");
    const link = join(d, "link.json");
    symlinkSync(target, link);
    const r = await cli([...runArgs(), "-o", link]);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(JSON.parse(readFileSync(target, "utf8")).schema).toBe("llmbench.result/v1");
    expect([...temps(d), ...temps(targetDir)]).toEqual([]);
  });

  test("a dangling symlink: its target is created, the link kept", async () => {
    const d = folder();
    const link = join(d, "link.json");
    symlinkSync("new.json", link); // relative, to a file not there yet
    const r = await cli([...runArgs(), "-o", link]);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(d, "new.json"), "utf8")).schema).toBe("llmbench.result/v1");
  });

  test("a FIFO is written in place and stays a FIFO (run and warm)", async () => {
    const d = folder();
    const fifo = join(d, "pipe");
    mkfifo(fifo);
    for (const args of [runArgs(), ["warm", "--endpoint", `${peer.url}/generate`, "--requests", "2"]]) {
      const reader = Bun.spawn(["cat", fifo], { stdout: "pipe" });
      const [r, read] = await Promise.all([cli([...args, "-o", fifo]), new Response(reader.stdout).text()]);
      expect(r.code).toBe(0);
      expect(JSON.parse(read).schema).toMatch(/^llmbench\.(result|warm)\/v1$/);
      expect(statSync(fifo).isFIFO()).toBe(true);
    }
    expect(readdirSync(d)).toEqual(["pipe"]);
  });

  // a node of the same device as /dev/null, made in a temporary folder: if the tool wrongly replaced it, only our own node would go
  const mknod = (path: string) => Bun.spawnSync(["mknod", path, "c", "1", "3"]).exitCode === 0;
  const canMknod = (() => {
    const probe = join(root, "probe");
    return mknod(probe);
  })();
  test.skipIf(!canMknod)("a character device is written in place and stays a device (merge too)", async () => {
    const d = folder();
    const dev = join(d, "null");
    expect(mknod(dev)).toBe(true);
    const r = await cli([...runArgs(), "-o", dev]);
    expect(r.code).toBe(0);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    const shards = await twoShards(d);
    const m = await cli(["merge", ...shards, "-o", dev]);
    expect(m.code).toBe(0);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    expect(temps(d)).toEqual([]);
  });

  test("-o - writes the document to stdout (instead of the report); /dev/stdout goes through the process's own stdout (a pipe, a socket)", async () => {
    const dash = await cli([...runArgs(), "-o", "-"]);
    expect(dash.code).toBe(0);
    expect(JSON.parse(dash.stdout).schema).toBe("llmbench.result/v1");
    const dev = await cli([...runArgs(), "-o", "/dev/stdout"]);
    expect(dev.code).toBe(0);
    expect(dev.stdout).toContain("Requests");
    expect(JSON.parse(dev.stdout.slice(dev.stdout.indexOf("\n{") + 1)).schema).toBe("llmbench.result/v1");
  });

  test("merge -o through a symlink writes the target", async () => {
    const d = folder();
    const shards = await twoShards(d);
    const target = join(d, "merged.json");
    writeFileSync(target, "");
    const link = join(d, "link.json");
    symlinkSync(target, link);
    const m = await cli(["merge", ...shards, "-o", link, "--quiet"]);
    expect(m.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(target, "utf8")).shards.length).toBe(2);
  });

  test("a temporary file left by a killed write is removed by the next write; a live writer's (or another machine's) is kept", async () => {
    const d = folder();
    const out = join(d, "r.json");
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    const host = hostname().replace(/[^A-Za-z0-9-]/g, "_");
    const stale = join(d, `.r.json.${host}.${gone.pid}.1700000000000.tmp`);
    const live = join(d, `.r.json.${host}.${process.pid}.1700000000000.tmp`);
    const otherMachine = join(d, `.r.json.elsewhere.${gone.pid}.1700000000000.tmp`);
    // a killed writer whose parent died too stays a zombie until init reaps it: it writes nothing more
    // (here: a child of `sleep`, which never reaps)
    const parent = Bun.spawn(["sh", "-c", "sleep 0 & echo $!; exec sleep 20"], { stdout: "pipe" });
    const reader = parent.stdout.getReader();
    let line = "";
    while (!line.includes("\n")) line += new TextDecoder().decode((await reader.read()).value);
    const zombiePid = Number(line.trim());
    // wait until it is one (sleep 0 has exited, unreaped)
    while (!/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${zombiePid}/stat`, "utf8"))) await Bun.sleep(5);
    const zombie = join(d, `.r.json.${host}.${zombiePid}.1700000000000.tmp`);
    for (const f of [stale, live, otherMachine, zombie]) writeFileSync(f, "{ half a docu");
    const r = await cli([...runArgs(), "-o", out]);
    parent.kill();
    expect(r.code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(zombie)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(otherMachine)).toBe(true); // its pids mean nothing here
  });

  test("a folder, a symlink loop: refused up front with exit 2", async () => {
    const d = folder();
    const a = join(d, "a");
    symlinkSync(join(d, "b"), a);
    symlinkSync(a, join(d, "b"));
    const loop = await cli([...runArgs(), "-o", a]);
    expect(loop.code).toBe(2);
    expect(loop.stderr).toContain("symlinks form a loop");
    const dirOut = await cli([...runArgs(), "-o", d]);
    expect(dirOut.code).toBe(2);
    expect(dirOut.stderr).toContain("it is a folder");
  });
});
