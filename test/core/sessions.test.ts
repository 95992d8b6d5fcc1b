import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { poolRuns, type RawRecord } from "../../src/core/metrics.ts";
import { ConversationState, parseSessionsFile, SessionStats, syntheticConversations } from "../../src/core/sessions.ts";

const thrown = (f: () => unknown): UsageError => {
  try {
    f();
  } catch (e) {
    return e as UsageError;
  }
  throw new Error("did not throw");
};

describe("sessions files", () => {
  test("llmbench's own layout: turns of user, think_ms, max_tokens; blank lines skipped; ids kept", () => {
    const text = [
      '{"id": "a", "turns": [{"user": "hi"}, {"user": "more", "think_ms": 1500, "max_tokens": 7}]}',
      "",
      '{"id": 7, "turns": [{"user": "x"}]}',
      "",
    ].join("\n");
    expect(parseSessionsFile(text, "s.jsonl")).toEqual([
      {
        id: "a",
        turns: [
          { user: "hi", thinkMs: 0 },
          { user: "more", thinkMs: 1500, maxTokens: 7 },
        ],
      },
      { id: "7", turns: [{ user: "x", thinkMs: 0 }] },
    ]);
  });

  test("AIPerf's multi_turn layout (session_id, text or texts, delay) and ShareGPT conversations are read too", () => {
    const text = [
      '{"session_id": "q", "turns": [{"text": "one"}, {"texts": ["two", "three"], "delay": 250}]}',
      '{"conversations": [{"from": "human", "value": "h1"}, {"from": "gpt", "value": "g1"}, {"from": "human", "value": "h2"}]}',
    ].join("\r\n");
    expect(parseSessionsFile(text, "f")).toEqual([
      {
        id: "q",
        turns: [
          { user: "one", thinkMs: 0 },
          { user: "two\nthree", thinkMs: 250 },
        ],
      },
      {
        id: "line-2",
        turns: [
          { user: "h1", thinkMs: 0 },
          { user: "h2", thinkMs: 0 },
        ],
      },
    ]);
  });

  test.each([
    ['{"id": "a", "turns": [{"user": "x"}]}\n{"id": "b", "turns": [', "f.jsonl:2: not valid JSON"],
    ['{"id": "a", "turns": [{"user": "x"}]}\n\n[1, 2]', "f.jsonl:3: not a JSON object"],
    ['{"id": "a"}', 'f.jsonl:1: needs a "turns" array'],
    ['{"id": "a", "turns": []}', "f.jsonl:1: the conversation has no turn"],
    ['{"id": "a", "turns": [{"user": ""}]}', 'f.jsonl:1: turns[0] needs a non-empty string "user"'],
    [
      '{"id": "a", "turns": [{"user": "x"}, {"user": "y", "think_ms": -1}]}',
      'f.jsonl:1: turns[1]: "think_ms" must be a number ≥ 0, got -1',
    ],
    [
      '{"id": "a", "turns": [{"user": "x", "think_ms": 1e300}]}',
      "f.jsonl:1: turns[0]: think time 1e+300 ms is past a day",
    ],
    [
      '{"id": "a", "turns": [{"user": "x", "max_tokens": 2.5}]}',
      'f.jsonl:1: turns[0]: "max_tokens" must be a whole number ≥ 1',
    ],
    [
      '{"id": "a", "turns": [{"user": "x"}]}\n{"id": "a", "turns": [{"user": "y"}]}',
      'f.jsonl:2: id "a" was used by an earlier line',
    ],
    ['{"id": {"x": 1}, "turns": [{"user": "x"}]}', 'f.jsonl:1: "id" must be a string or a number'],
    ["\n\n", "f.jsonl: no conversation found"],
  ])("a bad file is refused on one line naming where: %s", (text, message) => {
    const e = thrown(() => parseSessionsFile(text, "f.jsonl"));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.exitCode).toBe(2);
    expect(e.message.startsWith(message)).toBe(true);
    expect(e.message).not.toContain("\n");
    expect(e.hint).toBeTruthy();
  });
});

describe("synthetic sessions", () => {
  test("every message is its own prompt id after the first; think time before every turn but the first", () => {
    const c = syntheticConversations(2, 3, 500, (id) => `m${id}`, 5);
    expect(c).toEqual([
      {
        id: "s0",
        turns: [
          { user: "m5", thinkMs: 0 },
          { user: "m6", thinkMs: 500 },
          { user: "m7", thinkMs: 500 },
        ],
      },
      {
        id: "s1",
        turns: [
          { user: "m8", thinkMs: 0 },
          { user: "m9", thinkMs: 500 },
          { user: "m10", thinkMs: 500 },
        ],
      },
    ]);
  });
});

describe("a conversation's history", () => {
  test("each turn carries the whole history; every earlier prompt is a prefix of the next, character for character", () => {
    const state = new ConversationState({
      id: "a",
      turns: [
        { user: "Hello", thinkMs: 0 },
        { user: "And then?", thinkMs: 0 },
        { user: "Bye", thinkMs: 0 },
      ],
    });
    const t1 = state.next();
    expect(t1).toEqual({
      spec: { user: "Hello", thinkMs: 0 },
      turn: 1,
      reusableTokens: 0,
      prompt: { text: "User: Hello\n\nAssistant:", messages: [{ role: "user", content: "Hello" }] },
    });
    state.answered("Hi there.", 5);
    const t2 = state.next();
    expect(t2.turn).toBe(2);
    expect(t2.reusableTokens).toBe(5);
    expect(t2.prompt.text).toBe("User: Hello\n\nAssistant: Hi there.\n\nUser: And then?\n\nAssistant:");
    expect(t2.prompt.messages).toEqual([
      { role: "user", content: "Hello" },
      { role: "assistant", content: "Hi there." },
      { role: "user", content: "And then?" },
    ]);
    // an answer that starts with its own space is not given a second one
    state.answered(" Then this.", 19);
    const t3 = state.next();
    expect(t3.reusableTokens).toBe(19);
    expect(t3.prompt.text.startsWith(t2.prompt.text)).toBe(true);
    expect(t2.prompt.text.startsWith(t1.prompt.text)).toBe(true);
    expect(t3.prompt.text).toBe(`${t2.prompt.text} Then this.\n\nUser: Bye\n\nAssistant:`);
    expect(t3.prompt.messages).toHaveLength(5);
    expect(state.done).toBe(true);
    // the messages handed out earlier are not changed by later turns
    expect(t1.prompt.messages).toHaveLength(1);
  });
});

describe("the report's numbers by turn", () => {
  const turn = (
    session: number,
    t: number,
    ok: boolean,
    ttftMs: number | null,
    promptTokens: number,
    extra: { cached?: number; of?: number } = {},
  ) => ({
    session,
    turn: t,
    sessionTurns: extra.of ?? 3,
    ok,
    aborted: false,
    ttftMs,
    promptTokens,
    reusableTokens: t === 1 ? 0 : promptTokens - 10,
    cachedTokens: extra.cached,
  });

  test("completed, failed and unfinished sessions; TTFT and context by turn; first vs later turns", () => {
    const s = new SessionStats();
    // session 0 completes; session 1 fails at turn 2 (its turn 3 never sent); session 2 stopped after turn 1
    for (const v of [
      turn(0, 1, true, 100, 20, { cached: 0 }),
      turn(1, 1, true, 120, 22, { cached: 0 }),
      turn(2, 1, true, 110, 21),
      turn(0, 2, true, 40, 50, { cached: 16 }),
      turn(1, 2, false, null, 0),
      turn(0, 3, true, 30, 80, { cached: 48 }),
    ])
      s.add(v);
    const out = s.finish();
    expect({
      started: out.started,
      completed: out.completed,
      failed: out.failed,
      unfinished: out.unfinished,
      mean: out.turns_per_session_mean,
    }).toEqual({ started: 3, completed: 1, failed: 1, unfinished: 1, mean: 3 });
    expect(
      out.by_turn.map((t) => [
        t.turn,
        t.sent,
        t.succeeded,
        t.ttft_ms?.p50,
        t.context_tokens?.mean,
        t.reusable_tokens_mean,
        t.cached_tokens_mean,
      ]),
    ).toEqual([
      [1, 3, 3, 110, 21, 0, 0],
      [2, 2, 1, 40, 50, 40, 16],
      [3, 1, 1, 30, 80, 70, 48],
    ]);
    expect(out.first_turn_ttft_ms).toMatchObject({ count: 3, min: 100, max: 120, mean: 110 });
    expect(out.later_turns_ttft_ms).toMatchObject({ count: 2, min: 30, max: 40, p50: 35 });
  });

  test("a turn aborted by Ctrl-C leaves its session unfinished, not failed", () => {
    const s = new SessionStats();
    s.add(turn(0, 1, true, 100, 20));
    s.add({ ...turn(0, 2, false, null, 0), aborted: true });
    s.add(turn(1, 1, true, 100, 20, { of: 1 }));
    expect(s.finish()).toMatchObject({ started: 2, completed: 1, failed: 0, unfinished: 1 });
  });
});

describe("sessions in pooled runs (--runs N)", () => {
  const rec = (seq: number, session: number, turn: number): RawRecord => ({
    seq,
    phase: "measured",
    promptId: seq,
    repeat: false,
    tSched: null,
    tSend: seq * 10,
    tFirstByte: seq * 10 + 2,
    tokenTimes: [seq * 10 + 2, seq * 10 + 3],
    tEnd: seq * 10 + 3,
    streamed: true,
    status: 200,
    outputTokensCounted: 2,
    reasoningTokensCounted: 0,
    promptTokensCounted: 10 * turn,
    usage: null,
    cached: null,
    error: null,
    session,
    turn,
    sessionTurns: 2,
  });
  test("session 0 of one run is not session 0 of the next", () => {
    const run = { records: [rec(0, 0, 1), rec(1, 0, 2)] };
    const { summary } = poolRuns([run, run], "whitespace");
    expect(summary.sessions).toMatchObject({ started: 2, completed: 2, failed: 0 });
    expect(summary.sessions!.by_turn.map((t) => [t.turn, t.sent, t.context_tokens!.mean])).toEqual([
      [1, 2, 10],
      [2, 2, 20],
    ]);
  });
});
