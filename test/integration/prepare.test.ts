/** The hot path's first rule: a request's body is built before it is due, not while others wait to be read. */
import { expect, test } from "bun:test";
import { runBenchmark } from "../../src/app/run.ts";
import { openSession } from "../../src/app/target.ts";
import { runOptions, scripted } from "./helpers.ts";

const plan = (promptId: number, seq = promptId) => ({ seq, phase: "measured" as const, promptId, repeat: false });

test("prepareAhead builds the next fresh prompts once; prepare takes them as they are, a repeat is built again", async () => {
  const opts = runOptions("http://127.0.0.1:9/generate", { "input-tokens": "64" });
  const session = await openSession(
    opts,
    () => 0,
    () => {},
  );
  const fresh = await openSession(
    opts,
    () => 0,
    () => {},
  );
  session.prepareAhead(8);
  expect(session.built).toBe(8);
  // the ready bodies are exactly what building them at send time gives
  for (let id = 0; id < 8; id++) {
    const p = session.prepare(plan(id));
    const q = fresh.prepare(plan(id));
    expect(p.body).toBe(q.body);
    expect(p.promptTokens).toBe(q.promptTokens);
  }
  expect(session.built).toBe(8);
  // the window is kept full from where it stands: ids 8.. are next, none built twice
  session.prepareAhead(2);
  expect(session.built).toBe(10);
  session.prepare(plan(8));
  session.prepareAhead(2);
  expect(session.built).toBe(11);
  // a repeat of an earlier prompt is not kept in memory: it is built again
  session.prepare({ ...plan(3, 9), repeat: true });
  expect(session.built).toBe(12);
});

test("prepareAhead stops at the run's last prompt id and at its byte budget", async () => {
  const opts = runOptions("http://127.0.0.1:9/generate", { "input-tokens": "64" });
  const session = await openSession(
    opts,
    () => 0,
    () => {},
  );
  session.prepareAhead(100, { untilId: 5 });
  expect(session.built).toBe(5);
  session.prepareAhead(100, { untilId: 5 });
  expect(session.built).toBe(5);
  const one = session.prepare(plan(0)).body.length;
  // bodies are built until the bytes held ready reach the budget: two more fit under 2.5 bodies' worth
  const before = session.built;
  session.prepareAhead(100, { maxBytes: Math.floor(one * 6.5) });
  expect(session.built - before).toBeGreaterThanOrEqual(2);
  expect(session.built - before).toBeLessThanOrEqual(3);
});

test("a closed-loop run sends every measured body as built ahead: the server sees each prompt exactly once", async () => {
  const prompts: string[] = [];
  const server = scripted(async (req) => {
    prompts.push(((await req.json()) as { prompt: string }).prompt);
    return Response.json({ text: "a b c", cached: false });
  });
  try {
    const opts = runOptions(`${server.url}/generate`, {
      concurrency: "4",
      requests: "12",
      warmup: "0",
      "repeat-ratio": "0",
      "max-tokens": "3",
    });
    const { doc } = await runBenchmark(opts);
    expect(doc.summary.requests.succeeded).toBe(12);
    const tags = prompts.map((p) => Number(/\[llmbench 1-(\d+)\]/.exec(p)![1]));
    expect(new Set(tags).size).toBe(12);
    expect([...tags].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  } finally {
    server.stop();
  }
});
