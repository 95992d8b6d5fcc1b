/**
 * A generate-API server on raw sockets (node:net) that misbehaves with connections the way llama.cpp
 * does: it advertises `Connection: keep-alive` / `Keep-Alive: timeout=5, max=100`, closes the
 * connection `lingerMs` after every response, and resets a request that arrives on a connection it
 * has already answered (the client reused a connection the server was closing). `resetAll` resets
 * every connection on its first bytes instead. Counts what it saw, server-side.
 */
import { createServer, type Socket } from "node:net";

export interface ClosingServerOptions {
  /** how long after a response the connection is closed: the window in which a reused one dies */
  lingerMs?: number;
  /** answer streamed requests with SSE (chunked) — one event per word, `gapMs` apart */
  gapMs?: number;
  /** from the `resetAfter`-th connection on (0: from the first), reset every connection on its first bytes */
  resetAfter?: number;
}

export interface ClosingServer {
  url: string;
  /** connections accepted */
  readonly connections: number;
  /** requests answered */
  readonly answered: number;
  /** requests that arrived on a connection already answered, and were reset */
  readonly resetReused: number;
  /** connections reset on their first bytes (resetAfter) */
  readonly resetFresh: number;
  /** the most requests being answered at once */
  readonly maxInFlight: number;
  stop(): Promise<void>;
}

const WORDS = 8;

export async function closingServer(opts: ClosingServerOptions = {}): Promise<ClosingServer> {
  const lingerMs = opts.lingerMs ?? 0;
  const gapMs = opts.gapMs ?? 1;
  const counts = { connections: 0, answered: 0, resetReused: 0, resetFresh: 0, inFlight: 0, maxInFlight: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    const nth = counts.connections++;
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let answered = false;
    let buf = "";
    sock.on("data", (data) => {
      if (opts.resetAfter !== undefined && nth >= opts.resetAfter) {
        counts.resetFresh++;
        sock.resetAndDestroy();
        return;
      }
      if (answered) {
        // the client reused a connection this server had finished with: what a closing server's kernel does
        counts.resetReused++;
        sock.resetAndDestroy();
        return;
      }
      buf += data.toString("latin1");
      const head = buf.indexOf("\r\n\r\n");
      if (head < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length < head + 4 + length) return;
      answered = true;
      const body = JSON.parse(buf.slice(head + 4, head + 4 + length)) as { stream?: boolean };
      void answer(sock, body.stream === true).then(() => setTimeout(() => sock.end(), lingerMs));
    });
  });
  const answer = async (sock: Socket, stream: boolean) => {
    counts.inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    const keepAlive = "Connection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\n";
    try {
      if (!stream) {
        await Bun.sleep(gapMs);
        const json = JSON.stringify({
          text: Array.from({ length: WORDS }, (_, i) => `w${i}`).join(" "),
          cached: false,
        });
        sock.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n${keepAlive}\r\n${json}`,
        );
        return;
      }
      sock.write(
        `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n${keepAlive}\r\n`,
      );
      const chunk = (s: string) => sock.write(`${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`);
      for (let i = 0; i < WORDS; i++) {
        await Bun.sleep(gapMs);
        chunk(`data: ${JSON.stringify({ text: `${i ? " " : ""}w${i}` })}\n\n`);
      }
      chunk(`data: {"done": true, "cached": false}\n\ndata: [DONE]\n\n`);
      sock.write("0\r\n\r\n");
    } finally {
      counts.answered++;
      counts.inFlight--;
    }
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return counts.connections;
    },
    get answered() {
      return counts.answered;
    },
    get resetReused() {
      return counts.resetReused;
    },
    get resetFresh() {
      return counts.resetFresh;
    },
    get maxInFlight() {
      return counts.maxInFlight;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
