/**
 * Plays 1C's side of the exchange against a site, the way 1C does it: Basic auth on
 * checkauth, the cookie from the answer's lines 2–3 on every later call, files cut at
 * file_limit, `import` repeated while the answer is `progress`. Used by the tests, the
 * benchmark and the demo loader.
 */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface Answer {
  status: number;
  lines: string[];
  raw: Uint8Array;
  headers: Headers;
}

export class OneCClient {
  cookie = "";
  sessid = "";
  timestamp = 0;
  fileLimit = 0;
  zip = false;
  polls = 0;

  constructor(
    private readonly fetch: Fetch,
    private readonly opts: {
      login?: string;
      password?: string;
      path?: string;
      type?: string;
      sendSessid?: boolean;
    } = {},
  ) {}

  private url(params: Record<string, string>): string {
    const q = new URLSearchParams({ type: this.opts.type ?? "catalog", ...params });
    if (this.opts.sendSessid && this.sessid && params.mode !== "checkauth") {
      q.set("sessid", this.sessid);
    }
    return `${this.opts.path ?? "/1c_exchange.php"}?${q}`;
  }

  async call(params: Record<string, string>, init: RequestInit = {}): Promise<Answer> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("Cookie", this.cookie);
    const res = await this.fetch(this.url(params), { ...init, headers });
    const raw = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(raw);
    return { status: res.status, lines: text.split("\n"), raw, headers: res.headers };
  }

  async checkauth(login = this.opts.login ?? "1c", password = this.opts.password ?? "1c-exchange") {
    const a = await this.call({ mode: "checkauth" }, {
      headers: { Authorization: `Basic ${btoa(`${login}:${password}`)}` },
    });
    if (a.lines[0] === "success") {
      this.cookie = `${a.lines[1]}=${a.lines[2]}`;
      this.sessid = a.lines[3]?.replace(/^sessid=/, "") ?? "";
      this.timestamp = Number(a.lines[4]?.replace(/^timestamp=/, ""));
    }
    return a;
  }

  async init() {
    const a = await this.call({ mode: "init" });
    this.zip = a.lines[0] === "zip=yes";
    this.fileLimit = Number(a.lines[1]?.replace("file_limit=", ""));
    return a;
  }

  /** Uploads `bytes` as 1C does: in file_limit-sized POSTs (or `partSize` when given). */
  async upload(filename: string, bytes: Uint8Array, partSize = this.fileLimit): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let off = 0; off < bytes.length || off === 0; off += partSize) {
      const part = bytes.subarray(off, Math.min(off + partSize, bytes.length));
      answers.push(
        await this.call({ mode: "file", filename }, {
          method: "POST",
          body: part as Uint8Array<ArrayBuffer>,
        }),
      );
      if (bytes.length === 0) break;
    }
    return answers;
  }

  /** Uploads a file from disk without reading it whole: one file_limit-sized POST at a time. */
  async uploadFile(filename: string, path: string, partSize = this.fileLimit): Promise<number> {
    using file = await Deno.open(path);
    const buf = new Uint8Array(partSize);
    let total = 0;
    while (true) {
      let filled = 0;
      while (filled < partSize) {
        const n = await file.read(buf.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      if (filled === 0 && total > 0) break;
      const a = await this.call({ mode: "file", filename }, {
        method: "POST",
        body: buf.slice(0, filled),
      });
      if (a.lines[0] !== "success") throw new Error(`upload ${filename}: ${a.lines.join(" | ")}`);
      total += filled;
      if (filled < partSize) break;
    }
    return total;
  }

  /** Repeats mode=import while the answer is progress; returns the final answer. */
  async importFile(filename: string, maxPolls = 2000, delayMs = 20): Promise<Answer> {
    for (let i = 0; i < maxPolls; i++) {
      const a = await this.call({ mode: "import", filename });
      this.polls++;
      if (a.lines[0] !== "progress") return a;
      await new Promise((r) => setTimeout(r, delayMs));
    }
    throw new Error(`${filename}: still progress after ${maxPolls} polls`);
  }
}

export function inProcess(
  app: { request: (input: string, init?: RequestInit) => Response | Promise<Response> },
): Fetch {
  return async (input, init) => await app.request(input, init);
}
