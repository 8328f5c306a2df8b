/** A real HTTP server on a free local port, for the fakes of external systems. */

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

export function serveLocal(handler: (req: Request) => Response | Promise<Response>): LocalServer {
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen: () => {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** A latch a test closes to hold the fake's answers (a run that stays running) and opens. */
export class Gate {
  #open: Promise<void> = Promise.resolve();
  #release: () => void = () => {};
  close() {
    this.#open = new Promise((r) => this.#release = r);
  }
  open() {
    this.#release();
  }
  wait(): Promise<void> {
    return this.#open;
  }
}

/** Captures the JSON notices posted to ALERT_WEBHOOK_URL. */
export function startWebhookFake(): LocalServer & { notices: Record<string, unknown>[] } {
  const notices: Record<string, unknown>[] = [];
  const server = serveLocal(async (req) => {
    notices.push(await req.json());
    return new Response(null, { status: 204 });
  });
  return { ...server, notices };
}
