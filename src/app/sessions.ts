/**
 * Multi-turn sessions, wired: the conversations (a file, or synthetic) as chains for the "chains" pacer —
 * C conversations at once, each sending its turns in order, the next turn built from the previous
 * answer, the user's think time between. A failed turn ends its session (README "Multi-turn sessions").
 */
import { ConversationState, parseSessionsFile, syntheticConversations, type Conversation } from "../core/sessions.ts";
import type { RunOptions } from "../core/options.ts";
import type { PlannedRequest } from "../core/schedule.ts";
import { countTokens } from "../core/tokenizer.ts";
import { syntheticWorkload } from "../core/workload.ts";
import { contentSha256, readInputFile } from "../io/files.ts";
import type { Chain } from "./pacers.ts";
import type { Prepared, Session } from "./target.ts";

/** The conversations of a session run: the file's, or `ceil(requests / turns)` synthetic ones after the warm-up's prompt ids. */
export async function loadConversations(
  opts: RunOptions,
  session: Session,
  info: (m: string) => void,
  salt?: string,
): Promise<Conversation[]> {
  const spec = opts.sessions!;
  if (spec.file !== undefined) {
    const text = await readInputFile(
      spec.file,
      `--sessions takes a JSONL file, one conversation a line: {"id": "a", "turns": [{"user": "..."}]}`,
    );
    const conversations = parseSessionsFile(text, spec.file);
    spec.sha256 = contentSha256(text); // the result names the file by its contents (compare, merge)
    return conversations;
  }
  const turns = spec.turns ?? 1;
  const requests = opts.requests ?? turns;
  const count = Math.ceil(requests / turns);
  if (count * turns !== requests)
    info(
      `--requests ${requests} is not a multiple of --turns ${turns}: ${count} sessions send ${count * turns} requests`,
    );
  // follow-ups of their own length: a workload of their own (its tags apart from the first messages')
  const followups = spec.followupTokens
    ? syntheticWorkload({
        seed: opts.seed,
        inputTokens: spec.followupTokens,
        prefixTokens: 0,
        count: (t) => countTokens(t, opts.tokenizer),
        salt: `${salt ?? ""}f`,
      })
    : session.workload;
  return syntheticConversations(
    count,
    turns,
    spec.thinkMs,
    (id, k) => (k === 0 ? session.workload : followups).prompt(id).text,
    opts.warmup,
  );
}

export interface ConversationChains {
  conversations: readonly Conversation[];
  /** the next free seq (the run's, past the warm-up's), taken as each turn is built: the order turns leave in */
  nextSeq: () => number;
  /** the first turn's prompt id (synthetic: of its message; a file: counted over its turns) */
  firstPromptId: number;
  session: Pick<Session, "prepareTurn">;
}

/**
 * The conversations as chains, one after another: a chain's step is the next turn, built from the
 * history and the answer the previous turn left on its Prepared, with the think time before it. A
 * failed turn ends its chain. The chains pacer (app/pacers.ts) sends them, C at once.
 */
export function conversationChains(o: ConversationChains): () => Chain<Prepared> | null {
  const base: number[] = [];
  let id = o.firstPromptId;
  for (const c of o.conversations) {
    base.push(id);
    id += c.turns.length;
  }
  let nextConversation = 0;
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
          // what of the next prompt the server has seen: the whole history, the previous prompt and its answer
          // (client-counted, as promptTokensCounted is; reasoning is not carried)
          state.answered(
            sent.answer ?? "",
            sent.promptTokens + previous.outputTokensCounted - previous.reasoningTokensCounted,
          );
        }
        if (state.done) return null;
        const { spec, prompt, turn, reusableTokens } = state.next();
        const req: PlannedRequest = {
          seq: o.nextSeq(),
          phase: "measured",
          promptId: base[s] + turn - 1,
          repeat: false,
        };
        sent = o.session.prepareTurn(
          req,
          prompt,
          { session: s, turn, turns: state.conversation.turns.length },
          reusableTokens,
          spec.maxTokens,
        );
        return { req: sent, waitMs: turn > 1 ? spec.thinkMs : 0 };
      },
    };
  };
}
