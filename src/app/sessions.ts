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

/** A chain of requests sent in order: its next step from the previous step's record (null for the first); null when it ends. */
export interface Chain<R> {
  step(previous: RawRecord | null): { req: R; waitMs?: number } | null;
}

export interface ConversationChains {
  conversations: readonly Conversation[];
  /** the first turn's seq (after the warm-up's) and prompt id (synthetic: of its message; a file: counted over its turns) */
  firstSeq: number;
  firstPromptId: number;
  session: Pick<Session, "prepareTurn">;
}

/**
 * The conversations as chains, one after another: a chain's step is the next turn, built from the
 * history and the answer the previous turn left on its Prepared, with the think time before it. A
 * failed turn ends its chain. Seqs follow the order turns are built in (the order they leave).
 */
export function conversationChains(o: ConversationChains): () => Chain<Prepared> | null {
  const base: number[] = [];
  let id = o.firstPromptId;
  for (const c of o.conversations) {
    base.push(id);
    id += c.turns.length;
  }
  let nextConversation = 0;
  let seq = o.firstSeq;
  return () => {
    const s = nextConversation++;
    if (s >= o.conversations.length) return null;
    const state = new ConversationState(o.conversations[s]);
    let sent: Prepared | undefined;
    return {
      step(previous) {
        if (previous !== null && sent !== undefined) {
          // a failed turn ends its session: the next turn would carry a history without its answer
          if (previous.error !== null) return null;
          state.answered(sent.answer ?? "", sent.promptTokens);
        }
        if (state.done) return null;
        const { spec, prompt, turn, reusableTokens } = state.next();
        const req: PlannedRequest = { seq: seq++, phase: "measured", promptId: base[s] + turn - 1, repeat: false };
        sent = o.session.prepareTurn(req, prompt, { session: s, turn, turns: state.conversation.turns.length }, reusableTokens, spec.maxTokens);
        return { req: sent, waitMs: turn > 1 ? spec.thinkMs : 0 };
      },
    };
  };
}

export interface ChainDeps {
  nextChain: () => Chain<Prepared> | null;
  /** conversations going on at once */
  concurrency: number;
  send(p: Prepared): Promise<RawRecord>;
  stopping(): boolean;
  /** wait `ms` (a think time); resolves early once the run is stopping */
  sleep(ms: number): Promise<void>;
}

/** Send every chain, `concurrency` at once, each step after the previous answer and its wait. */
export async function runChains(d: ChainDeps): Promise<void> {
  const lane = async () => {
    for (let chain = d.nextChain(); chain !== null && !d.stopping(); chain = d.stopping() ? null : d.nextChain()) {
      let previous: RawRecord | null = null;
      for (;;) {
        const step = chain.step(previous);
        if (step === null || d.stopping()) break;
        if (step.waitMs) await d.sleep(step.waitMs);
        if (d.stopping()) return;
        previous = await d.send(step.req);
      }
    }
  };
  await Promise.all(Array.from({ length: d.concurrency }, lane));
}
