/** Synthetic prompts: unique per run (the seed is in the text, so a second run does not hit the first run's cache). */
import { createRng, hashString } from "./rng.ts";

const WORDS = (
  "the of and to in is was for on that with as by at from it an be this which or are have not had but " +
  "system model token latency batch cache server request stream prompt answer benchmark measure queue " +
  "river mountain garden window letter engine signal harbor forest lantern market silver winter summer " +
  "planet ocean station bridge castle valley thunder meadow pencil rocket violin canyon island shadow"
).split(" ");

export interface Workload {
  /** the text of prompt `id` (ids are stable: the same id gives the same text within a run) */
  prompt(id: number): string;
}

/** `words` words of seeded filler after a unique tag; prompt ids never collide within or across seeds. */
export function syntheticWorkload(seed: number, words: number): Workload {
  return {
    prompt(id) {
      const rng = createRng(hashString(`${seed}:${id}`));
      const parts = [`[llmbench ${seed}-${id}]`];
      for (let i = 0; i < words; i++) parts.push(WORDS[rng.int(WORDS.length)]);
      return parts.join(" ");
    },
  };
}
