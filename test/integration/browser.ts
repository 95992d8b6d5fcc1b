/**
 * Headless Chromium driven over the DevTools protocol (Bun's WebSocket): load a page from disk,
 * collect console errors, exceptions and every network request, evaluate, screenshot, print.
 * `CHROMIUM` is null when no browser is installed (`apt-get install chromium`): tests then skip, saying so.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "./helpers.ts";

export const CHROMIUM: string | null =
  process.env.LLMBENCH_CHROMIUM ??
  Bun.which("chromium") ??
  Bun.which("chromium-browser") ??
  Bun.which("google-chrome") ??
  null;

export const SKIP_REASON =
  "SKIPPED: no Chromium on this machine (apt-get install chromium, or set LLMBENCH_CHROMIUM); the HTML report was not checked in a browser";

export interface LoadedPage {
  /** console.error calls, uncaught exceptions and browser log entries of level error (a refused load, a CSP violation) */
  errors: string[];
  /** every URL the page asked for, the page itself included */
  requests: string[];
  evaluate<T>(expression: string): Promise<T>;
  /** a PNG of the whole page */
  screenshot(): Promise<Buffer>;
  /** the page printed to PDF (A4) */
  pdf(): Promise<Buffer>;
  /** lay the page out for print (A4 width) from now on, as the PDF is */
  emulatePrint(): Promise<void>;
  close(): Promise<void>;
}

export async function openPage(path: string, width = 1340): Promise<LoadedPage> {
  if (!CHROMIUM) throw new Error(SKIP_REASON);
  const profile = mkdtempSync(join(tmpdir(), "llmbench-chromium-"));
  const proc = Bun.spawn(
    [
      CHROMIUM,
      "--headless",
      "--disable-gpu",
      "--no-sandbox",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--hide-scrollbars",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  // a test process that dies before close() leaves no browser behind
  const killOnExit = () => {
    proc.kill("SIGKILL"); // nothing waits for it at exit: it must not write into the profile after the removal
    rmSync(profile, { recursive: true, force: true });
  };
  process.once("exit", killOnExit);
  const portFile = join(profile, "DevToolsActivePort");
  let ws: WebSocket | undefined;
  try {
    await until(
      () => {
        try {
          return readFileSync(portFile, "utf8").includes("\n");
        } catch {
          return false;
        }
      },
      "Chromium's DevTools port",
      60_000,
    );
    const port = readFileSync(portFile, "utf8").split("\n")[0];
    let target: { webSocketDebuggerUrl: string } | undefined;
    await until(async () => {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
        type: string;
        webSocketDebuggerUrl: string;
      }>;
      target = list.find((t) => t.type === "page");
      return target !== undefined;
    }, "a page target");
    const socket = new WebSocket(target!.webSocketDebuggerUrl);
    ws = socket;
    await new Promise<void>((ok, fail) => {
      socket.onopen = () => ok();
      socket.onerror = () => fail(new Error("cannot connect to Chromium's DevTools"));
    });
    let id = 0;
    const pending = new Map<number, { ok: (v: any) => void; fail: (e: Error) => void }>();
    const errors: string[] = [];
    const requests: string[] = [];
    let loaded = false;
    socket.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.fail(new Error(JSON.stringify(msg.error)));
        else p?.ok(msg.result);
        return;
      }
      const m = msg.method as string;
      if (m === "Runtime.consoleAPICalled" && (msg.params.type === "error" || msg.params.type === "assert"))
        errors.push(
          `console.${msg.params.type}: ${msg.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(" ")}`,
        );
      if (m === "Runtime.exceptionThrown")
        errors.push(
          `exception: ${msg.params.exceptionDetails.exception?.description ?? msg.params.exceptionDetails.text}`,
        );
      if (m === "Log.entryAdded" && msg.params.entry.level === "error")
        errors.push(`log: ${msg.params.entry.text} ${msg.params.entry.url ?? ""}`.trim());
      if (m === "Network.requestWillBeSent") requests.push(msg.params.request.url);
      if (m === "Page.loadEventFired") loaded = true;
    };
    const send = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<any>((ok, fail) => {
        const n = ++id;
        pending.set(n, { ok, fail });
        socket.send(JSON.stringify({ id: n, method, params }));
      });
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await send(`${domain}.enable`);
    await send("Emulation.setDeviceMetricsOverride", { width, height: 900, deviceScaleFactor: 1, mobile: false });
    await send("Page.navigate", { url: `file://${path}` });
    await until(() => loaded, "the page's load event", 60_000);
    return {
      errors,
      requests,
      async evaluate<T>(expression: string) {
        const r = await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails)
          throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
      async screenshot() {
        const r = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
        return Buffer.from(r.data, "base64");
      },
      async pdf() {
        const r = await send("Page.printToPDF", { paperWidth: 8.27, paperHeight: 11.69, printBackground: false });
        return Buffer.from(r.data, "base64");
      },
      async emulatePrint() {
        await send("Emulation.setEmulatedMedia", { media: "print" });
        await send("Emulation.setDeviceMetricsOverride", {
          width: 794,
          height: 1123,
          deviceScaleFactor: 1,
          mobile: false,
        });
      },
      async close() {
        socket.close();
        process.off("exit", killOnExit);
        proc.kill();
        await proc.exited;
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    ws?.close();
    process.off("exit", killOnExit);
    proc.kill();
    await proc.exited;
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** What the page drew: every element with data-chart, its declared marks, and the marks found in the DOM with their size. */
export const CHARTS_JS = `[...document.querySelectorAll("[data-chart]")].map((el) => {
  const marks = [...el.querySelectorAll("path[data-points]")];
  const box = el.getBoundingClientRect();
  return {
    id: el.getAttribute("data-chart"),
    declared: Number(el.getAttribute("data-marks")),
    tag: el.tagName.toLowerCase(),
    width: box.width,
    height: box.height,
    points: marks.reduce((n, m) => n + Number(m.getAttribute("data-points")), 0),
    painted: marks.filter((m) => { const b = m.getBBox(); return (b.width > 0 || b.height > 0) && (m.getAttribute("d") ?? "x") !== ""; }).length,
  };
})`;

export interface DrawnChart {
  id: string;
  declared: number;
  tag: string;
  width: number;
  height: number;
  points: number;
  painted: number;
}
