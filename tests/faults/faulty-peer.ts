/**
 * A misbehaving peer on a real local TCP port: a fault-injecting proxy in front of one of the
 * fakes (tests/customers/fakes, tests/marketplaces/fakes). It speaks raw HTTP/1.1 over
 * Deno.listen, so it can do what no well-behaved server does: read a request and never
 * answer, drop the connection without a byte, cut an answer in the middle of its body, or
 * send any bytes at all as the answer. Every request it gets is answered by the next scripted
 * fault whose path matches, else by `otherwise` (default: passed on to the upstream fake).
 */

export type Fault =
  /** Passed on to the upstream fake; its answer is returned as it is. */
  | { kind: "pass" }
  /** The request is read, then nothing: no answer until the client gives up (or release()). */
  | { kind: "hang" }
  /** The connection is closed right after the request, without a byte of answer. */
  | { kind: "drop" }
  /** Status line, headers and half of the announced body, then the connection is closed. */
  | { kind: "cut" }
  /** A complete answer with exactly this status, type and body (garbage of any kind). */
  | { kind: "raw"; status: number; contentType: string; body: string };

export interface Arrival {
  method: string;
  path: string;
  fault: Fault["kind"];
  /** Date.now() when the request had arrived whole. */
  at: number;
}

interface Scripted {
  path: RegExp | null;
  fault: Fault;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FaultyPeer {
  readonly arrivals: Arrival[] = [];
  /** What answers a request no scripted fault matched. */
  otherwise: Fault = { kind: "pass" };
  readonly #listener: Deno.TcpListener;
  readonly #script: Scripted[] = [];
  readonly #conns = new Set<Deno.Conn>();
  #hung: (() => void)[] = [];
  #serving: Promise<void>;

  constructor(private readonly upstream: string | null) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#serving = this.#accept();
  }

  get url(): string {
    return `http://127.0.0.1:${this.#listener.addr.port}`;
  }

  /** The next requests (whose path matches, when given) get these faults, in order. */
  script(path: RegExp | null, ...faults: Fault[]): void {
    for (const fault of faults) this.#script.push({ path, fault });
  }

  /** Requests held by `hang` right now. */
  get hanging(): number {
    return this.#hung.length;
  }

  /** Ends every held request by closing its connection. */
  release(): void {
    const hung = this.#hung;
    this.#hung = [];
    for (const end of hung) end();
  }

  async close(): Promise<void> {
    this.release();
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed already */ }
    }
    await this.#serving;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        this.#serve(conn).catch(() => {}).finally(() => {
          this.#conns.delete(conn);
          try {
            conn.close();
          } catch { /* closed already */ }
        });
      }
    } catch { /* listener closed */ }
  }

  #next(path: string): Fault {
    const i = this.#script.findIndex((s) => s.path === null || s.path.test(path));
    if (i < 0) return this.otherwise;
    return this.#script.splice(i, 1)[0].fault;
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const req = await readRequest(conn);
    if (!req) return;
    const fault = this.#next(req.path);
    this.arrivals.push({ method: req.method, path: req.path, fault: fault.kind, at: Date.now() });
    switch (fault.kind) {
      case "hang":
        await new Promise<void>((resolve) => this.#hung.push(resolve));
        return;
      case "drop":
        return;
      case "cut": {
        const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
          "Content-Length: 4096\r\nConnection: close\r\n\r\n";
        await writeAll(conn, encoder.encode(`${head}{"result": {"items": [{"sku": 1`));
        return;
      }
      case "raw":
        await writeAll(
          conn,
          response(fault.status, { "Content-Type": fault.contentType }, encoder.encode(fault.body)),
        );
        return;
      case "pass": {
        if (this.upstream === null) throw new Error("no upstream to pass to");
        const headers = new Headers(req.headers);
        for (const h of ["host", "connection", "content-length"]) headers.delete(h);
        const res = await fetch(this.upstream + req.path, {
          method: req.method,
          headers,
          body: req.body.length ? req.body : undefined,
        });
        const body = new Uint8Array(await res.arrayBuffer());
        const out: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          if (!["content-length", "transfer-encoding", "connection"].includes(name)) {
            out[name] = value;
          }
        });
        await writeAll(conn, response(res.status, out, body));
        return;
      }
    }
  }
}

function response(status: number, headers: Record<string, string>, body: Uint8Array): Uint8Array {
  const lines = [`HTTP/1.1 ${status} X`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${body.length}`, "Connection: close", "", "");
  const head = encoder.encode(lines.join("\r\n"));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** One HTTP/1.1 request with a Content-Length body (what fetch sends), or null at EOF. */
async function readRequest(conn: Deno.Conn): Promise<
  | { method: string; path: string; headers: [string, string][]; body: Uint8Array<ArrayBuffer> }
  | null
> {
  let buf: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  const more = async () => {
    const n = await conn.read(chunk);
    if (n === null) return false;
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
    return true;
  };
  let end = -1;
  while ((end = indexOfCrlf2(buf)) < 0) if (!(await more())) return null;
  const [requestLine, ...headerLines] = decoder.decode(buf.subarray(0, end)).split("\r\n");
  const [method, path] = requestLine.split(" ");
  const headers = headerLines.map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
  });
  const length = Number(
    headers.find(([k]) => k.toLowerCase() === "content-length")?.[1] ?? "0",
  );
  while (buf.length < end + 4 + length) if (!(await more())) return null;
  return { method, path, headers, body: buf.slice(end + 4, end + 4 + length) };
}

function indexOfCrlf2(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}
