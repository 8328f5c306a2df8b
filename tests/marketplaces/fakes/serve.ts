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

/**
 * What both marketplace fakes share: a local server started on demand, the gate that holds
 * answers, and the log of requests a test inspects.
 */
export abstract class MarketplaceFake<R extends { path: string }> {
  readonly gate = new Gate();
  readonly requests: R[] = [];
  #server: LocalServer | null = null;

  get url(): string {
    return this.#server!.url;
  }

  start(): this {
    this.#server = serveLocal((req) => this.handle(req));
    return this;
  }

  close(): Promise<void> {
    this.gate.open();
    return this.#server!.close();
  }

  calls(path: string): R[] {
    return this.requests.filter((r) => r.path === path);
  }

  protected abstract handle(req: Request): Promise<Response>;
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
