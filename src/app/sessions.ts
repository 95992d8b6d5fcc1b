/**
 * Multi-turn sessions, wired: the conversations (a file, or synthetic), and the "chains" pacer —
 * C conversations at once, each sending its turns in order, the next turn built from the previous
 * answer, the user's think time between. A failed turn ends its session (README "Multi-turn sessions").
 */
import { ConversationState, parseSessionsFile, syntheticConversations, type Conversation } from "../core/sessions.ts";
import type { RawRecord } from "../core/metrics.ts";
import type { RunOptions } from "../core/options.ts";
import type { PlannedRequest } from "../core/schedule.ts";
import { countTokens } from "../core/tokenizer.ts";
import { syntheticWorkload } from "../core/workload.ts";
import { readInputFile } from "../io/files.ts";
import type { Prepared, Session } from "./target.ts";

/** The conversations of a session run: the file's, or `ceil(requests / turns)` synthetic ones after the warm-up's prompt ids. */
export async function loadConversations(opts: RunOptions, session: Session, info: (m: string) => void, salt?: string): Promise<Conversation[]> {
  const spec = opts.sessions!;
  if (spec.file !== undefined) {
    const text = await readInputFile(spec.file, `--sessions takes a JSONL file, one conversation a line: {"id": "a", "turns": [{"user": "..."}]}`);
    return parseSessionsFile(text, spec.file);
  }
  const turns = spec.turns ?? 1;
  const requests = opts.requests ?? turns;
  const count = Math.ceil(requests / turns);
  if (count * turns !== requests) info(`--requests ${requests} is not a multiple of --turns ${turns}: ${count} sessions send ${count * turns} requests`);
  // follow-ups of their own length: a workload of their own (its tags apart from the first messages')
  const followups = spec.followupTokens ? syntheticWorkload({ seed: opts.seed, inputTokens: spec.followupTokens, prefixTokens: 0, count: (t) => countTokens(t, opts.tokenizer), salt: `${salt ?? ""}f` }) : session.workload;
  return syntheticConversations(count, turns, spec.thinkMs, (id, k) => (k === 0 ? session.workload : followups).prompt(id).text, opts.warmup);
}

export interface ChainDeps {
  conversations: readonly Conversation[];
  /** conversations going on at once */
  concurrency: number;
  /** the first turn's seq (after the warm-up's) and prompt ids: of the synthetic message, or counted over the file's turns */
  firstSeq: number;
  firstPromptId: number;
  session: Pick<Session, "prepareTurn" | "sendTurn">;
  /** aborts the requests in flight (Ctrl-C past the grace, giving up) */
  signal: AbortSignal;
  stopping(): boolean;
  /** wait `ms` (a think time); resolves early once the run is stopping */
  sleep(ms: number): Promise<void>;
  /** every turn's record, as it completes */
  onRecord(record: RawRecord): void;
  /** a turn is about to be sent / has finished (the run's in-flight count, its first-wave watch) */
  onSend?(p: Prepared): void;
}

/** Send every conversation, `concurrency` at once, each turn after the previous answer and the think time. */
export async function runChains(d: ChainDeps): Promise<void> {
  const { conversations } = d;
  // prompt ids in file order: turn k of conversation s is id base[s] + k
  const base: number[] = [];
  let id = d.firstPromptId;
  for (const c of conversations) {
    base.push(id);
    id += c.turns.length;
  }
  let nextConversation = 0;
  let seq = d.firstSeq;
  const chain = async () => {
    while (!d.stopping()) {
      const s = nextConversation++;
      if (s >= conversations.length) return;
      const state = new ConversationState(conversations[s]);
      while (!state.done && !d.stopping()) {
        const { spec, prompt, turn, reusableTokens } = state.next();
        if (turn > 1 && spec.thinkMs > 0) {
          await d.sleep(spec.thinkMs);
          if (d.stopping()) return;
        }
        const req: PlannedRequest = { seq: seq++, phase: "measured", promptId: base[s] + turn - 1, repeat: false };
        const p = d.session.prepareTurn(req, prompt, { session: s, turn, turns: state.conversation.turns.length }, reusableTokens, spec.maxTokens);
        d.onSend?.(p);
        const { record, answer } = await d.session.sendTurn(p, null, d.signal);
        d.onRecord(record);
        // a failed turn ends its session: the next turn would carry a history without its answer
        if (record.error !== null) break;
        state.answered(answer, p.promptTokens);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(d.concurrency, conversations.length) }, chain));
}
