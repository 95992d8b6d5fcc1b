import { describe, expect, test } from "bun:test";
import { conversationChains } from "../../src/app/sessions.ts";
import type { Prepared } from "../../src/app/target.ts";
import type { RawRecord } from "../../src/core/metrics.ts";
import type { PromptItem } from "../../src/core/workload.ts";

/** prepareTurn without a server: the body is the transcript, its tokens its word count */
const session = {
  prepareTurn: (
    req: Prepared["req"],
    prompt: PromptItem,
    turn: NonNullable<Prepared["turn"]>,
    reusableTokens: number,
  ): Prepared => ({
    req,
    body: prompt.text,
    promptTokens: prompt.text.split(/\s+/).length,
    reusableTokens,
    turn,
  }),
};
const counter = (from: number) => () => from++;
const record = (p: Prepared, error = false) =>
  ({
    seq: p.req.seq,
    outputTokensCounted: 3,
    reasoningTokensCounted: 1,
    error: error ? { class: "http_5xx", message: "x" } : null,
  }) as RawRecord;

describe("conversations as chains", () => {
  const conversations = [
    {
      id: "a",
      turns: [
        { user: "one", thinkMs: 0 },
        { user: "two", thinkMs: 250 },
        { user: "three", thinkMs: 0 },
      ],
    },
    {
      id: "b",
      turns: [
        { user: "x", thinkMs: 0 },
        { user: "y", thinkMs: 10 },
      ],
    },
  ];

  test("a chain's steps are its turns in order: the answer left on the previous turn goes into the next; think time before each later turn", () => {
    const next = conversationChains({ conversations, nextSeq: counter(5), firstPromptId: 5, session });
    const a = next()!;
    const s1 = a.step(null)!;
    expect([s1.req.req, s1.req.turn, s1.req.reusableTokens, s1.waitMs]).toEqual([
      { seq: 5, phase: "measured", promptId: 5, repeat: false },
      { session: 0, turn: 1, turns: 3 },
      0,
      0,
    ]);
    s1.req.answer = "first answer";
    const s2 = a.step(record(s1.req))!;
    expect(s2.req.body).toBe(`${s1.req.body} first answer\n\nUser: two\n\nAssistant:`);
    // reusable: the previous prompt and its answer (3 output tokens, of which 1 reasoning, not carried)
    expect([s2.req.req.seq, s2.req.req.promptId, s2.req.reusableTokens, s2.waitMs]).toEqual([
      6,
      6,
      s1.req.promptTokens + 2,
      250,
    ]);
    // the other conversation's turns take the next seqs as they are built; its prompt ids follow the first's turns
    const b = next()!;
    expect(b.step(null)!.req.req).toMatchObject({ seq: 7, promptId: 8 });
    s2.req.answer = "second";
    const s3 = a.step(record(s2.req))!;
    expect(s3.req.turn).toEqual({ session: 0, turn: 3, turns: 3 });
    s3.req.answer = "";
    expect(a.step(record(s3.req))).toBeNull();
    expect(next()).toBeNull();
  });

  test("a failed turn ends its chain", () => {
    const next = conversationChains({ conversations, nextSeq: counter(0), firstPromptId: 0, session });
    const a = next()!;
    const s1 = a.step(null)!;
    expect(a.step(record(s1.req, true))).toBeNull();
  });
});
