/**
 * An HTTP proxy in front of the fake Telegram Bot API that holds back the answers of some methods
 * for a while: the message has reached "Telegram" (the fake records it at once), but the bot
 * hears so only later, as over a real network. A process killed in that window leaves rows that
 * were sent but not recorded as sent.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type LatencyProxy = { url: string; close(): Promise<void> };

export async function startLatencyProxy(options: {
  target: string;
  /** Bot API methods whose answers are held back, e.g. ["sendMessage"]. */
  methods: string[];
  delayMs: number;
}): Promise<LatencyProxy> {
  const target = new URL(options.target);
  const slow = new Set(options.methods.map((m) => m.toLowerCase()));
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const method = (req.url ?? "").split("?")[0]!.split("/").pop()!.toLowerCase();
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          const reply = () => {
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          };
          if (slow.has(method)) setTimeout(reply, options.delayMs);
          else reply();
        });
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent && !res.destroyed) res.writeHead(502).end();
    });
    // The bot went away (killed): a long poll it left must not linger upstream.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
