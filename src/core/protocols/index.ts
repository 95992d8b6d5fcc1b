/** The API adapters by name, and the API an endpoint's path implies (SPEC §3). */
import { generateProtocol } from "./generate.ts";
import { openaiChatProtocol, openaiCompletionsProtocol } from "./openai.ts";
import type { ApiKind, Protocol } from "./types.ts";

export { API_KINDS } from "./types.ts";
export type { ApiKind, DecodeEvent, Protocol, RequestSpec, ResponseDecoder, Usage } from "./types.ts";
export { generateProtocol } from "./generate.ts";
export { openaiChatProtocol, openaiCompletionsProtocol } from "./openai.ts";

const PROTOCOLS: Record<ApiKind, Protocol> = {
  generate: generateProtocol,
  "openai-completions": openaiCompletionsProtocol,
  "openai-chat": openaiChatProtocol,
};

export function getProtocol(api: ApiKind): Protocol {
  return PROTOCOLS[api];
}

/**
 * The API an endpoint's path implies: `…/generate`, `…/completions` (e.g. `/v1/completions`),
 * `…/chat/completions`. A trailing slash is ignored; anything else is undefined (needs `--api`).
 */
export function detectApi(url: URL): ApiKind | undefined {
  const path = url.pathname.replace(/\/+$/, "").toLowerCase();
  if (path.endsWith("/chat/completions")) return "openai-chat";
  if (path.endsWith("/completions")) return "openai-completions";
  if (path.endsWith("/generate")) return "generate";
  return undefined;
}
