/**
 * Releases as a user meets them. beforeAll builds a release folder with `scripts/build.ts --release
 * --target <this machine>` (one target: the others download a Bun runtime each and cannot run here;
 * `npm run release` builds all seven the same way), then a local HTTP server holds it, and install.sh
 * downloads from it, as the README's one-liner does: a good file installs and runs; a corrupted one,
 * one missing from SHA256SUMS, or one that does not run is refused and nothing is installed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { hostTarget, RELEASE_TARGETS, releaseFile } from "../../scripts/build.ts";
import { BIN } from "./helpers.ts";

const ROOT = join(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "llmbench-release-"));
const release = join(work, "release");
const host = hostTarget();
const file = releaseFile(host);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
async function run(cmd: string[], env: Record<string, string | undefined> = {}, cwd = work): Promise<Ran> {
  const p = Bun.spawn(cmd, {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      ...process.env,
      LLMBENCH_BASE_URL: undefined,
      LLMBENCH_INSTALL_DIR: undefined,
      LLMBENCH_TARGET: undefined,
      LLMBENCH_VERSION: undefined,
      ...env,
    },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const git = (...args: string[]) =>
  Bun.spawnSync(["git", "-C", ROOT, ...args])
    .stdout.toString()
    .trim();

/** what the server answered, by path: the install must have asked for these */
const served: string[] = [];
let server: ReturnType<typeof Bun.serve>;
let base: string;
let good: Uint8Array;

beforeAll(async () => {
  const built = await run(
    [process.execPath, "scripts/build.ts", "--release", "--target", host, "--out", release],
    {},
    ROOT,
  );
  if (built.code !== 0) throw new Error(`release build failed: ${built.stderr}`);
  good = new Uint8Array(readFileSync(join(release, file)));
  // one byte changed in the middle of the binary; the release's own SHA256SUMS
  const corrupted = good.slice();
  corrupted[corrupted.length >> 1] ^= 0xff;
  const corruptedGz = Bun.gzipSync(corrupted, { level: 1 });
  const sums = readFileSync(join(release, "SHA256SUMS"), "utf8");
  const without = (...names: string[]) =>
    sums
      .split("\n")
      .filter((l) => !names.some((n) => l.endsWith(`  ${n}`)))
      .join("\n");
  // a file that is not a program for this machine, listed with its right checksum
  const garbage = "this is not an executable\n";
  const folders: Record<string, Record<string, Uint8Array | string>> = {
    good: Object.fromEntries(readdirSync(release).map((f) => [f, new Uint8Array(readFileSync(join(release, f)))])),
    bad: { [file]: corrupted, [`${file}.gz`]: corruptedGz, SHA256SUMS: sums },
    // a release without .gz files: the binary itself is downloaded
    raw: { [file]: good, SHA256SUMS: without(`${file}.gz`) },
    badraw: { [file]: corrupted, SHA256SUMS: without(`${file}.gz`) },
    // a .gz that matches its line but holds another binary than the one SHA256SUMS lists
    badgz: { [`${file}.gz`]: corruptedGz, SHA256SUMS: `${without(`${file}.gz`)}${sha256(corruptedGz)}  ${file}.gz\n` },
    nosum: { [file]: good, SHA256SUMS: without(file, `${file}.gz`) },
    garbage: { [file]: garbage, SHA256SUMS: `${sha256(garbage)}  ${file}\n` },
  };
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      served.push(path);
      const [, folder, name] = path.split("/");
      const body = folders[folder]?.[name];
      return body === undefined ? new Response("not found", { status: 404 }) : new Response(body);
    },
  });
  base = `http://127.0.0.1:${server.port}`;
}, 180_000);
afterAll(() => server?.stop(true));

const install = (args: string[], env: Record<string, string> = {}) =>
  run(["sh", join(ROOT, "install.sh"), ...args], env);

describe("npm run release", () => {
  test("the release folder holds the binary named by OS and CPU, its .gz, install.sh, and SHA256SUMS with each file's real checksum", () => {
    expect(readdirSync(release).sort()).toEqual([file, `${file}.gz`, "SHA256SUMS", "install.sh"].sort());
    expect(sha256(Bun.gunzipSync(new Uint8Array(readFileSync(join(release, `${file}.gz`)))))).toBe(sha256(good));
    const lines = readFileSync(join(release, "SHA256SUMS"), "utf8").trim().split("\n");
    expect(lines.map((l) => l.split("  ")[1])).toEqual([file, `${file}.gz`, "install.sh"]);
    for (const line of lines) {
      const [sum, name] = line.split("  ");
      expect(sum).toBe(sha256(readFileSync(join(release, name))));
    }
    // what sha256sum -c reads, where it is installed
    if (Bun.which("sha256sum"))
      expect(Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: release }).exitCode).toBe(0);
  });

  test("every release target is named <os>-<cpu>[-musl], the five platforms and musl among them", () => {
    for (const t of Object.keys(RELEASE_TARGETS)) expect(t).toMatch(/^(linux|darwin|windows)-(x64|arm64)(-musl)?$/);
    for (const t of [
      "linux-x64",
      "linux-arm64",
      "darwin-x64",
      "darwin-arm64",
      "windows-x64",
      "linux-x64-musl",
      "linux-arm64-musl",
    ])
      expect(RELEASE_TARGETS[t]).toBe(`bun-${t}`);
    expect(releaseFile("windows-x64")).toBe("llmbench-windows-x64.exe");
  });

  test("--version states the version, the commit it was built from and the target", async () => {
    const r = await run([join(release, file), "--version"]);
    expect(r.code).toBe(0);
    const m = r.stdout.trim().match(/^llmbench (\S+) \(([0-9a-f]+)(-dirty)?\) (\S+)$/);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(pkg.version);
    if (git("rev-parse", "--short", "HEAD")) expect(m![2]).toBe(git("rev-parse", "--short", "HEAD"));
    expect(m![4]).toBe(host);
    // dist/llmbench (npm test builds it) says the same kind of line
    expect((await run([BIN, "--version"])).stdout).toMatch(
      new RegExp(`^llmbench ${pkg.version.replaceAll(".", "\\.")} \\([0-9a-f]+(-dirty)?\\) ${host}\\n$`),
    );
  });

  test("from source, --version says it is not compiled", async () => {
    const r = await run([process.execPath, join(ROOT, "src/cli.ts"), "--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^llmbench ${pkg.version.replaceAll(".", "\\.")} \\(([0-9a-f]+(-dirty)?|commit unknown), from source, not compiled\\) ${process.platform}-${process.arch}, bun ${Bun.version}\\n$`,
      ),
    );
  });
});

describe("the compiled binary and the folder it runs in", () => {
  test("it reads no bunfig.toml (whose preload would run code inside it) and no .env", async () => {
    const cwd = join(work, "project-folder");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, "preload.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(join(cwd, "preloaded"))}, "ran");\n`,
    );
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(cwd, ".env"), "LLMBENCH_API_KEY=from-dotenv\n");
    const auth: string[] = [];
    const api = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        auth.push(req.headers.get("authorization") ?? "none");
        return Response.json({ text: "a b c", cached: false });
      },
    });
    try {
      const r = await run(
        [
          join(release, file),
          "run",
          "--endpoint",
          `http://127.0.0.1:${api.port}/generate`,
          "-n",
          "2",
          "--warmup",
          "0",
          "--max-tokens",
          "3",
          "-q",
        ],
        { LLMBENCH_API_KEY: undefined, OPENAI_API_KEY: undefined },
        cwd,
      );
      expect(r.code).toBe(0);
      expect(auth).toEqual(["none", "none"]);
      expect(existsSync(join(cwd, "preloaded"))).toBe(false);
    } finally {
      api.stop(true);
    }
  });
});

describe("install.sh", () => {
  test.skipIf(!Bun.which("curl"))(
    "the one-line install (curl … | sh) puts a binary that runs into the folder, and leaves nothing else there",
    async () => {
      const dir = join(work, "one-line", "bin");
      served.length = 0;
      const r = await run(["sh", "-c", `curl -fsSL ${base}/good/install.sh | sh`], {
        LLMBENCH_BASE_URL: `${base}/good`,
        LLMBENCH_INSTALL_DIR: dir,
        PATH: `${dir}:${process.env.PATH}`,
      });
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
      expect(served).toEqual(["/good/install.sh", "/good/SHA256SUMS", `/good/${file}.gz`]); // the smaller file
      expect(readdirSync(dir)).toEqual(["llmbench"]);
      const installed = readFileSync(join(dir, "llmbench"));
      expect(sha256(installed)).toBe(sha256(good));
      const v = await run([join(dir, "llmbench"), "--version"]);
      expect(v.code).toBe(0);
      expect(v.stdout).toContain(`llmbench ${pkg.version} (`);
      expect(r.stderr).toContain(`installed ${v.stdout.trim()} to ${dir}/llmbench`);
      expect(r.stderr).not.toContain("not on your PATH");
    },
  );

  test("without a .gz in the release, the binary itself is downloaded, checked and installed", async () => {
    const dir = join(work, "raw", "bin");
    served.length = 0;
    const r = await install(["--base-url", `${base}/raw`, "--dir", dir]);
    expect(r.code).toBe(0);
    expect(served).toEqual(["/raw/SHA256SUMS", `/raw/${file}`]);
    expect(sha256(readFileSync(join(dir, "llmbench")))).toBe(sha256(good));
  });

  test.each([
    ["bad", ".gz"],
    ["badraw", ""],
  ])(
    "a corrupted file (/%s, %p) is refused with both checksums, exit 1, and nothing is installed",
    async (folder, ext) => {
      const dir = join(work, `corrupt-${folder}`, "bin");
      served.length = 0;
      const r = await install(["--base-url", `${base}/${folder}`, "--dir", dir]);
      expect(r.code).toBe(1);
      expect(served).toEqual([`/${folder}/SHA256SUMS`, `/${folder}/${file}${ext}`]); // it was downloaded, then refused
      const expected = readFileSync(join(release, "SHA256SUMS"), "utf8").match(
        new RegExp(`^([0-9a-f]{64})  ${file}${ext}$`, "m"),
      )![1];
      expect(r.stderr).toContain(`checksum mismatch for ${file}${ext}: expected ${expected}, got `);
      expect(r.stderr).toContain("nothing was installed");
      expect(existsSync(join(dir, "llmbench"))).toBe(false);
    },
  );

  test("a .gz that matches its own line but unpacks to another binary is refused", async () => {
    const dir = join(work, "badgz", "bin");
    const r = await install(["--base-url", `${base}/badgz`, "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${file}: expected ${sha256(good)}, got `);
    expect(existsSync(join(dir, "llmbench"))).toBe(false);
  });

  test("a refused download leaves an installed llmbench as it was", async () => {
    const dir = join(work, "keep", "bin");
    expect((await install(["--base-url", `${base}/good`, "--dir", dir])).code).toBe(0);
    const before = sha256(readFileSync(join(dir, "llmbench")));
    const r = await install(["--base-url", `${base}/bad`, "--dir", dir]);
    expect(r.code).toBe(1);
    expect(readdirSync(dir)).toEqual(["llmbench"]);
    expect(sha256(readFileSync(join(dir, "llmbench")))).toBe(before);
    expect((await run([join(dir, "llmbench"), "--version"])).code).toBe(0);
  });

  test("a file SHA256SUMS does not list, a file that does not run, and a missing release are refused", async () => {
    const dir = join(work, "refused", "bin");
    const nosum = await install(["--base-url", `${base}/nosum`, "--dir", dir]);
    expect(nosum.code).toBe(1);
    expect(nosum.stderr).toContain(`SHA256SUMS lists no checksum for ${file}`);
    const garbage = await install(["--base-url", `${base}/garbage`, "--dir", dir]);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain(`${file} does not run on this machine`);
    const missing = await install(["--base-url", `${base}/v9.9.9`, "--dir", dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`could not download ${base}/v9.9.9/SHA256SUMS`);
    expect(existsSync(dir)).toBe(false);
  });

  test("bad options exit 2 with the fix", async () => {
    const unknown = await install(["--force"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--force'");
    expect(unknown.stderr).toContain("fix: ");
    const empty = await install(["--dir"]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--dir needs a value");
    const target = await install(["--target", "linux-riscv64"]);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain("unknown target 'linux-riscv64'");
  });
});

describe("install.sh picks the file for the machine", () => {
  // stand-ins for uname, ldd and sysctl, first on PATH, answering as another machine would
  const fake = join(work, "fake-bin");
  mkdirSync(fake, { recursive: true });
  const script = (name: string, body: string) => {
    writeFileSync(join(fake, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(fake, name), 0o755);
  };
  script("uname", 'case "$1" in -s) echo "$FAKE_S" ;; -m) echo "$FAKE_M" ;; *) echo "$FAKE_S" ;; esac');
  script(
    "ldd",
    'if [ "$FAKE_MUSL" = 1 ]; then echo "musl libc (x86_64)"; echo "Version 1.2.4"; exit 1; fi; echo "ldd (GNU libc) 2.36"',
  );
  script("sysctl", 'if [ "$FAKE_ROSETTA" = 1 ]; then echo 1; else exit 1; fi');

  const pick = async (s: string, m: string, extra: Record<string, string> = {}) => {
    const r = await install(["--dry-run", "--base-url", "http://127.0.0.1:9/x"], {
      PATH: `${fake}:${process.env.PATH}`,
      FAKE_S: s,
      FAKE_M: m,
      FAKE_MUSL: "0",
      FAKE_ROSETTA: "0",
      ...extra,
    });
    return {
      code: r.code,
      download: r.stdout.match(/^download: (.*)$/m)?.[1],
      install: r.stdout.match(/^install: +(.*)$/m)?.[1],
      stderr: r.stderr,
    };
  };

  test.each([
    ["Linux", "x86_64", {}, "llmbench-linux-x64"],
    ["Linux", "aarch64", {}, "llmbench-linux-arm64"],
    ["Linux", "x86_64", { FAKE_MUSL: "1" }, "llmbench-linux-x64-musl"],
    ["Linux", "arm64", { FAKE_MUSL: "1" }, "llmbench-linux-arm64-musl"],
    ["Darwin", "arm64", {}, "llmbench-darwin-arm64"],
    ["Darwin", "x86_64", {}, "llmbench-darwin-x64"],
    ["Darwin", "x86_64", { FAKE_ROSETTA: "1" }, "llmbench-darwin-arm64"],
    ["MINGW64_NT-10.0-22631", "x86_64", {}, "llmbench-windows-x64.exe"],
  ] as const)("%s %s %o → %s", async (s, m, extra, expected) => {
    const r = await pick(s, m, extra);
    expect(r.code).toBe(0);
    expect(r.download).toBe(`http://127.0.0.1:9/x/${expected}`);
  });

  test("a machine with no release file exits 2 and says what exists", async () => {
    for (const [s, m, word] of [
      ["FreeBSD", "amd64", "OS 'FreeBSD'"],
      ["Linux", "i686", "CPU 'i686'"],
      ["Linux", "riscv64", "CPU 'riscv64'"],
    ]) {
      const r = await pick(s, m);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`no llmbench release for the ${word}`);
    }
  });

  test("every target npm run release builds is one install.sh can pick by name", async () => {
    for (const t of Object.keys(RELEASE_TARGETS)) {
      const r = await install(["--dry-run", "--target", t, "--base-url", "http://127.0.0.1:9/x"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`download: http://127.0.0.1:9/x/${releaseFile(t)}`);
    }
  });

  test("the default folder: /usr/local/bin for root, ~/.local/bin for anyone else", async () => {
    const home = join(work, "home");
    mkdirSync(home, { recursive: true, mode: 0o777 });
    chmodSync(home, 0o777);
    const asMe = await install(["--dry-run"], { HOME: home });
    expect(asMe.stdout).toContain(
      `install:  ${process.getuid?.() === 0 ? "/usr/local/bin" : `${home}/.local/bin`}/llmbench`,
    );
    // as another user, where this test runs as root and can switch (util-linux setpriv)
    if (process.getuid?.() === 0 && Bun.which("setpriv")) {
      const script = join(work, "install-copy.sh");
      writeFileSync(script, readFileSync(join(ROOT, "install.sh")));
      chmodSync(script, 0o755);
      chmodSync(work, 0o755);
      const asNobody = await run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", script, "--dry-run"],
        { HOME: home },
      );
      expect(asNobody.stderr).toBe("");
      expect(asNobody.stdout).toContain(`install:  ${home}/.local/bin/llmbench`);
    }
  });

  test("the default download is the project's latest GitHub release, or the tag given", async () => {
    const latest = await install(["--dry-run", "--target", "linux-x64"]);
    expect(latest.stdout).toMatch(
      /^download: https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/releases\/latest\/download\/llmbench-linux-x64$/m,
    );
    const tagged = await install(["--dry-run", "--target", "linux-x64", "--version", "v1.2.3"]);
    expect(tagged.stdout).toMatch(
      /^download: https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/releases\/download\/v1\.2\.3\/llmbench-linux-x64$/m,
    );
  });
});

describe("GitHub workflows (they cannot run here: read with GitHub's own parser, then held to what they must do)", () => {
  const read = (name: string) => readFileSync(join(ROOT, ".github/workflows", name), "utf8");

  test.each(["ci.yml", "release.yml"])("%s parses without an error in @actions/workflow-parser", async (name) => {
    const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import("@actions/workflow-parser");
    const parsed = parseWorkflow({ name, content: read(name) }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const workflow = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect((workflow.errors ?? []).map((e) => e.Message)).toEqual([]);
    expect(workflow.jobs.length).toBe(1);
  });

  test.each(["ci.yml", "release.yml"])(
    "%s uses actions pinned to a full commit, with the version in a comment",
    (name) => {
      const uses = [...read(name).matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, ref, comment] of uses) {
        expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(comment).toMatch(/# v\d+\.\d+\.\d+/);
      }
    },
  );

  test("ci.yml runs .ci/run on pushes and pull requests", () => {
    const wf = Bun.YAML.parse(read("ci.yml")) as any;
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    const steps: any[] = Object.values(wf.jobs as Record<string, any>)[0].steps;
    expect(steps.some((s) => s.run === "bash .ci/run")).toBe(true);
  });

  test("release.yml, on a version tag: the tests, then npm run release, then a GitHub release with every file of dist/release", () => {
    const wf = Bun.YAML.parse(read("release.yml")) as any;
    expect(wf.on.push.tags).toEqual(["v*"]);
    expect(wf.permissions.contents).toBe("write");
    const runs: string[] = (Object.values(wf.jobs as Record<string, any>)[0].steps as any[]).map((s) => s.run ?? "");
    const at = (what: string) => runs.findIndex((r) => r.includes(what));
    expect(at("bash .ci/run")).toBeGreaterThanOrEqual(0);
    expect(at("npm run release")).toBeGreaterThan(at("bash .ci/run"));
    expect(at("sha256sum -c SHA256SUMS")).toBeGreaterThan(at("npm run release"));
    expect(at("gh release create")).toBeGreaterThan(at("sha256sum -c SHA256SUMS"));
    expect(runs[at("gh release create")]).toContain("dist/release/*");
    expect(pkg.scripts.release).toBe("bun scripts/build.ts --release");
  });
});
