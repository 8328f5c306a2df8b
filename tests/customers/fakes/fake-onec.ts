/**
 * A fake of 1C's customer HTTP service: a real local HTTP server (Deno.serve on port 0) that
 * behaves as scripted per customer email, so scenarios running side by side do not disturb
 * each other.
 *
 *   POST /customers          → 201 {"id"} (a new Ид), or 409 {"id"} for a platform_id it has
 *   PUT  /customers/{id}     → 200 {"id"}
 *   GET  /counterparties     → the XML set with `directory`
 *
 * Scripted answers, consumed one per request: ok, fail (any status, e.g. 503 or 400),
 * conflict (409 with a given Ид), hang (answers only after the client gave up).
 */

export type Behavior =
  | { kind: "ok" }
  | { kind: "fail"; status: number; body?: string }
  | { kind: "conflict"; id: string }
  /** Answers only after `ms` (default 1500), later than a 1 s client timeout. */
  | { kind: "hang"; ms?: number };

export interface Received {
  method: string;
  path: string;
  authorization: string | null;
  contentType: string | null;
  body: Record<string, unknown> | null;
  /** What the fake answered; 0 while it has not answered yet. */
  status: number;
}

export class FakeOnec {
  readonly requests: Received[] = [];
  /** The Контрагенты document GET /counterparties answers. */
  directory: string | null = null;
  readonly #scripts = new Map<string, Behavior[]>();
  readonly #ids = new Map<string, string>();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #waiters: { n: number; email: string | null; resolve: () => void }[] = [];
  #next = 1;

  constructor(readonly credentials: { login: string; password: string } | null = null) {
    this.#server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/hs/site`;
  }

  /** Answers for the next requests about the customer with this email, in order. */
  script(email: string, ...behaviors: Behavior[]): void {
    const key = email.toLowerCase();
    this.#scripts.set(key, [...(this.#scripts.get(key) ?? []), ...behaviors]);
  }

  failTimes(email: string, n: number, status = 503): void {
    this.script(email, ...Array.from({ length: n }, () => ({ kind: "fail", status }) as const));
  }

  /** Requests about one customer (by the email in the body). */
  about(email: string): Received[] {
    return this.requests.filter((r) => String(r.body?.email ?? "").toLowerCase() === email);
  }

  /** Resolves once `n` requests (about `email`, if given) have arrived and one was answered. */
  waitForRequests(n: number, email: string | null = null): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ n, email, resolve });
      this.#wake();
    });
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      const count = w.email === null ? this.requests.length : this.about(w.email).length;
      if (count >= w.n) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.replace(/^\/hs\/site/, "");
    const text = await req.text();
    let body: Record<string, unknown> | null = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const received: Received = {
      method: req.method,
      path,
      authorization: req.headers.get("authorization"),
      contentType: req.headers.get("content-type"),
      body,
      status: 0,
    };
    // Recorded on arrival: a request the client gave up on still happened.
    this.requests.push(received);
    const answer = await this.#answer(req, path, body);
    received.status = answer.status;
    this.#wake();
    return answer;
  }

  async #answer(
    req: Request,
    path: string,
    body: Record<string, unknown> | null,
  ): Promise<Response> {
    if (this.credentials) {
      const pair = new TextEncoder().encode(
        `${this.credentials.login}:${this.credentials.password}`,
      );
      const expected = "Basic " + btoa(String.fromCharCode(...pair));
      if (req.headers.get("authorization") !== expected) return json(401, { error: "auth" });
    }
    if (req.method === "GET" && path === "/counterparties") {
      if (this.directory === null) return json(404, { error: "no directory" });
      return new Response(this.directory, { headers: { "Content-Type": "application/xml" } });
    }
    const email = String(body?.email ?? "").toLowerCase();
    const script = this.#scripts.get(email) ?? [];
    const behavior = script.shift() ?? { kind: "ok" };
    switch (behavior.kind) {
      case "fail":
        return new Response(behavior.body ?? JSON.stringify({ error: "scripted failure" }), {
          status: behavior.status,
          headers: { "Content-Type": "application/json" },
        });
      case "conflict":
        return json(409, { id: behavior.id });
      case "hang":
        await new Promise((resolve) => setTimeout(resolve, behavior.ms ?? 1500));
        return json(504, { error: "too late" });
      case "ok":
        break;
    }
    const platformId = String(body?.platform_id ?? "");
    if (req.method === "POST" && path === "/customers") {
      const known = this.#ids.get(platformId);
      if (known) return json(409, { id: known });
      const id = `onec-${this.#next++}`;
      this.#ids.set(platformId, id);
      return json(201, { id });
    }
    const put = /^\/customers\/([^/]+)$/.exec(path);
    if (req.method === "PUT" && put) return json(200, { id: decodeURIComponent(put[1]) });
    return json(404, { error: `no route ${req.method} ${path}` });
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}
