/**
 * Multi-turn sessions: conversations whose every turn carries the whole history (the earlier user
 * messages and the server's own answers), as a chat client sends it, so the context grows turn by
 * turn. Read from a JSONL file (`--sessions FILE`) or made up (`--turns N`). Pure.
 *
 * One line of a sessions file is one conversation:
 *   {"id": "a", "turns": [{"user": "…", "think_ms": 0, "max_tokens": 64}, {"user": "…", "think_ms": 2000}]}
 * Also read: AIPerf's multi_turn layout (`session_id`, turns of `text` or `texts` and `delay` in ms),
 * and one ShareGPT conversation a line (`conversations` of `from`/`value`: the human turns are the
 * user messages; the recorded answers are not sent, the server's own answers are).
 */
import { UsageError } from "./errors.ts";
import { jsonObjectLines } from "./jsonl.ts";
import type { ChatMessage } from "./protocols/types.ts";
import { summarize, type Distribution } from "./stats/percentiles.ts";

export interface TurnSpec {
  /** the user's message */
  user: string;
  /** how long the user thinks before sending this turn, after the previous answer arrived (ms; ignored on the first turn) */
  thinkMs: number;
  /** this turn's max_tokens; the run's --max-tokens when absent */
  maxTokens?: number;
}

export interface Conversation {
  id: string;
  turns: TurnSpec[];
}

const FORMAT = `one conversation a line: {"id": "a", "turns": [{"user": "...", "think_ms": 0, "max_tokens": 64}, ...]}`;

function nonNegative(v: unknown, name: string, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
    throw new UsageError(`${where}: "${name}" must be a number ≥ 0, got ${JSON.stringify(v)}`, FORMAT);
  return v;
}

/** The longest think time a sessions file may give (a day): past it the file is damaged, not a conversation. */
const MAX_THINK_MS = 24 * 3600 * 1000;

function parseTurn(t: unknown, k: number, where: string): TurnSpec {
  const at = `${where}: turns[${k}]`;
  if (typeof t !== "object" || t === null || Array.isArray(t)) throw new UsageError(`${at} is not an object`, FORMAT);
  const o = t as Record<string, unknown>;
  const texts =
    Array.isArray(o.texts) && o.texts.every((x) => typeof x === "string")
      ? (o.texts as string[]).join("\n")
      : undefined;
  const user = typeof o.user === "string" ? o.user : typeof o.text === "string" ? o.text : texts;
  if (user === undefined || user === "") throw new UsageError(`${at} needs a non-empty string "user"`, FORMAT);
  const thinkMs = nonNegative(o.think_ms, "think_ms", at) ?? nonNegative(o.delay, "delay", at) ?? 0;
  if (thinkMs > MAX_THINK_MS) throw new UsageError(`${at}: think time ${thinkMs} ms is past a day`, FORMAT);
  const maxTokens = nonNegative(o.max_tokens, "max_tokens", at);
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1))
    throw new UsageError(`${at}: "max_tokens" must be a whole number ≥ 1, got ${maxTokens}`, FORMAT);
  return maxTokens === undefined ? { user, thinkMs } : { user, thinkMs, maxTokens };
}

/** ShareGPT: the human turns of one conversation are its user messages. */
function shareGptTurns(turns: unknown[], where: string): TurnSpec[] {
  const users = turns.filter((t) => {
    const from = (t as { from?: unknown })?.from;
    return from === "human" || from === "user";
  });
  return users.map((t, k) => {
    const value = (t as { value?: unknown }).value;
    if (typeof value !== "string" || value === "")
      throw new UsageError(
        `${where}: human turn ${k + 1} has no string "value"`,
        `ShareGPT lines are {"conversations": [{"from": "human", "value": "..."}, ...]}`,
      );
    return { user: value, thinkMs: 0 };
  });
}

/** Parse a sessions file (JSONL, blank lines skipped). Every error names the line and what to write. */
export function parseSessionsFile(text: string, source: string): Conversation[] {
  const out: Conversation[] = [];
  const seen = new Set<string>();
  for (const { value: o, line, where } of jsonObjectLines(text, source, FORMAT)) {
    const rawId = o.id ?? o.session_id;
    if (rawId !== undefined && typeof rawId !== "string" && typeof rawId !== "number")
      throw new UsageError(`${where}: "id" must be a string or a number`, FORMAT);
    let turns: TurnSpec[];
    if (Array.isArray(o.turns)) turns = o.turns.map((t, k) => parseTurn(t, k, where));
    else if (Array.isArray(o.conversations)) turns = shareGptTurns(o.conversations, where);
    else throw new UsageError(`${where}: needs a "turns" array`, FORMAT);
    if (turns.length === 0) throw new UsageError(`${where}: the conversation has no turn`, FORMAT);
    const id = rawId === undefined ? `line-${line}` : String(rawId);
    if (seen.has(id))
      throw new UsageError(`${where}: id "${id}" was used by an earlier line`, `give every conversation its own "id"`);
    seen.add(id);
    out.push({ id, turns });
  }
  if (out.length === 0) throw new UsageError(`${source}: no conversation found`, FORMAT);
  return out;
}

/**
 * `sessions` synthetic conversations of `turns` turns: each user message is the workload's prompt
 * `firstPromptId + s × turns + k` (every message distinct; `turnIndex` k lets the first be longer), with
 * `thinkMs` before every turn after the first.
 */
export function syntheticConversations(
  sessions: number,
  turns: number,
  thinkMs: number,
  message: (promptId: number, turnIndex: number) => string,
  firstPromptId = 0,
): Conversation[] {
  return Array.from({ length: sessions }, (_, s) => ({
    id: `s${s}`,
    turns: Array.from({ length: turns }, (_, k) => ({
      user: message(firstPromptId + s * turns + k, k),
      thinkMs: k === 0 ? 0 : thinkMs,
    })),
  }));
}

/** The text APIs' transcript: what a completions model continues (README "Multi-turn sessions"). */
export const USER_LABEL = "User: ";
export const ASSISTANT_LABEL = "\n\nAssistant:";
const TURN_SEPARATOR = "\n\n";

/** One turn's request: the chat messages, and the same history as one transcript for the text APIs. */
export interface TurnPrompt {
  /** the transcript (generate, completions): every earlier prompt is a prefix of it, character for character */
  text: string;
  /** openai-chat: the conversation so far, the server's answers as `assistant` messages */
  messages: ChatMessage[];
}

/**
 * A conversation as it goes: the next turn's prompt from the history, and the answer taken in.
 * Turn k+1's transcript is turn k's transcript, its answer, then the new user message, so a prefix
 * cache sees every earlier prompt again in full.
 */
export class ConversationState {
  private transcript = "";
  private readonly messages: ChatMessage[] = [];
  /** the tokens of the history before this turn's message (the previous prompt and its answer): what the server has seen */
  private sentTokens = 0;
  /** turns sent so far */
  turn = 0;

  constructor(readonly conversation: Conversation) {}

  get done(): boolean {
    return this.turn >= this.conversation.turns.length;
  }

  /** the next turn's spec and prompt; call `answered` with its answer before asking for the one after */
  next(): { spec: TurnSpec; prompt: TurnPrompt; turn: number; reusableTokens: number } {
    const spec = this.conversation.turns[this.turn];
    this.transcript = `${this.transcript}${this.turn === 0 ? "" : TURN_SEPARATOR}${USER_LABEL}${spec.user}${ASSISTANT_LABEL}`;
    this.messages.push({ role: "user", content: spec.user });
    this.turn++;
    return {
      spec,
      prompt: { text: this.transcript, messages: [...this.messages] },
      turn: this.turn,
      reusableTokens: this.sentTokens,
    };
  }

  /** the answer to the turn just sent, and the tokens of that turn's prompt and answer together */
  answered(answer: string, historyTokens: number): void {
    this.transcript += answer.startsWith(" ") || answer === "" ? answer : ` ${answer}`;
    this.messages.push({ role: "assistant", content: answer });
    this.sentTokens = historyTokens;
  }
}

// ---------------------------------------------------------------- the report's numbers

/** One turn index over every session: its TTFT, its context, what of it was reusable and cached. */
export interface TurnSummary {
  /** 1-based */
  turn: number;
  sent: number;
  succeeded: number;
  ttft_ms: Distribution | null;
  /** prompt tokens of the turn's request (the whole history): the server's usage where given, else counted */
  context_tokens: Distribution | null;
  /** mean tokens the server has seen before in the same session (the previous turn's prompt and answer) */
  reusable_tokens_mean: number | null;
  /** mean usage.prompt_tokens_details.cached_tokens; null when the server reported none */
  cached_tokens_mean: number | null;
}

export interface SessionsSummary {
  /** conversations that sent at least one measured turn */
  started: number;
  /** every turn answered */
  completed: number;
  /** a turn failed: the session ended there (its later turns were not sent) */
  failed: number;
  /** stopped before its last turn without a failure (Ctrl-C, or the run gave up) */
  unfinished: number;
  /** turns of the completed sessions, mean */
  turns_per_session_mean: number | null;
  /** TTFT of first turns, and of every later turn: what a prefix cache changes */
  first_turn_ttft_ms: Distribution | null;
  later_turns_ttft_ms: Distribution | null;
  by_turn: TurnSummary[];
}

/** What one measured turn contributes (derived by metrics.ts's deriveRequest). */
export interface TurnValues {
  session: number;
  turn: number;
  sessionTurns: number;
  ok: boolean;
  /** failed because the run was stopping (Ctrl-C): the session is unfinished, not failed */
  aborted: boolean;
  ttftMs: number | null;
  promptTokens: number;
  reusableTokens: number;
  cachedTokens: number | undefined;
}

/** Folds measured turns into SessionsSummary, exactly (every value is kept: a session run holds its records anyway). */
export class SessionStats {
  private readonly turns = new Map<
    number,
    { sent: number; ok: number; ttft: number[]; context: number[]; reusable: number; cached: number; cachedN: number }
  >();
  private readonly sessions = new Map<number, { of: number; ok: number; failed: boolean }>();

  add(v: TurnValues): void {
    let t = this.turns.get(v.turn);
    if (!t) this.turns.set(v.turn, (t = { sent: 0, ok: 0, ttft: [], context: [], reusable: 0, cached: 0, cachedN: 0 }));
    let s = this.sessions.get(v.session);
    if (!s) this.sessions.set(v.session, (s = { of: v.sessionTurns, ok: 0, failed: false }));
    t.sent++;
    if (!v.ok) {
      if (!v.aborted) s.failed = true;
      return;
    }
    s.ok++;
    t.ok++;
    if (v.ttftMs !== null) t.ttft.push(v.ttftMs);
    t.context.push(v.promptTokens);
    t.reusable += v.reusableTokens;
    if (v.cachedTokens !== undefined) {
      t.cached += v.cachedTokens;
      t.cachedN++;
    }
  }

  get any(): boolean {
    return this.sessions.size > 0;
  }

  finish(): SessionsSummary {
    let completed = 0;
    let failed = 0;
    let completedTurns = 0;
    for (const s of this.sessions.values()) {
      if (s.failed) failed++;
      else if (s.ok >= s.of) {
        completed++;
        completedTurns += s.of;
      }
    }
    const order = [...this.turns.keys()].sort((a, b) => a - b);
    const by_turn = order.map((turn): TurnSummary => {
      const t = this.turns.get(turn)!;
      return {
        turn,
        sent: t.sent,
        succeeded: t.ok,
        ttft_ms: summarize(t.ttft),
        context_tokens: summarize(t.context),
        reusable_tokens_mean: t.ok > 0 ? t.reusable / t.ok : null,
        cached_tokens_mean: t.cachedN > 0 ? t.cached / t.cachedN : null,
      };
    });
    return {
      started: this.sessions.size,
      completed,
      failed,
      unfinished: this.sessions.size - completed - failed,
      turns_per_session_mean: completed > 0 ? completedTurns / completed : null,
      first_turn_ttft_ms: summarize(this.turns.get(1)?.ttft ?? []),
      later_turns_ttft_ms: summarize(order.filter((k) => k > 1).flatMap((k) => this.turns.get(k)!.ttft)),
      by_turn,
    };
  }
}
