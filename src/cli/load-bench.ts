/**
 * The load part of `deno task bench`: what 1C and the platform feel while the service works.
 * - 1C sessions that log in, init and poll `mode=import` while a big import runs (the answers
 *   must stay quick: 1C gives up on a slow site, and an import must not starve the protocol);
 * - many platform clients reading products at once after the import.
 * Latencies are measured by the client, in the same process as the other clients, over a
 * real socket: they include the client's own scheduling on the same 2 cores.
 */

export class Latencies {
  readonly #ms: number[] = [];
  errors = 0;

  add(ms: number): void {
    this.#ms.push(ms);
  }

  get count(): number {
    return this.#ms.length;
  }

  /** The q-quantile (nearest rank) in milliseconds. */
  quantile(q: number): number {
    if (this.#ms.length === 0) return NaN;
    const sorted = [...this.#ms].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }

  format(label: string, seconds?: number): string {
    const rate = seconds ? `, ${(this.count / seconds).toFixed(0)} req/s` : "";
    const errors = this.errors ? `, ${this.errors} errors` : "";
    return `  ${label.padEnd(18)} p50 ${this.quantile(0.5).toFixed(1)} ms, p99 ${
      this.quantile(0.99).toFixed(1)
    } ms (${this.count} requests${rate}${errors})`;
  }
}

async function timed(lat: Latencies, request: () => Promise<Response>): Promise<string> {
  const t = performance.now();
  try {
    const res = await request();
    const text = await res.text();
    lat.add(performance.now() - t);
    if (!res.ok) lat.errors++;
    return text;
  } catch {
    lat.errors++;
    return "";
  }
}

export interface ProtocolLoad {
  checkauth: Latencies;
  init: Latencies;
  importPoll: Latencies;
}

/**
 * `sessions` virtual 1C clients, each repeating checkauth → init → three import polls of the
 * running exchange's file (with that exchange's cookie, as 1C's repeats are), until `stop()`
 * says so.
 */
export async function protocolLoadDuring(
  site: string,
  opts: {
    sessions: number;
    exchangeCookie: string;
    filename: () => string;
    stop: () => boolean;
    login?: string;
    password?: string;
  },
): Promise<ProtocolLoad> {
  const result: ProtocolLoad = {
    checkauth: new Latencies(),
    init: new Latencies(),
    importPoll: new Latencies(),
  };
  const basic = "Basic " + btoa(`${opts.login ?? "1c"}:${opts.password ?? "1c-exchange"}`);
  const url = (mode: string, extra = "") =>
    `${site}/1c_exchange.php?type=catalog&mode=${mode}${extra}`;
  const session = async () => {
    while (!opts.stop()) {
      const auth = await timed(
        result.checkauth,
        () => fetch(url("checkauth"), { headers: { authorization: basic } }),
      );
      const lines = auth.split("\n");
      if (lines[0] !== "success") continue;
      const cookie = `${lines[1]}=${lines[2]}`;
      await timed(result.init, () => fetch(url("init"), { headers: { cookie } }));
      for (let i = 0; i < 3 && !opts.stop(); i++) {
        await timed(
          result.importPoll,
          () =>
            fetch(url("import", `&filename=${encodeURIComponent(opts.filename())}`), {
              headers: { cookie: opts.exchangeCookie },
            }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: opts.sessions }, session));
  return result;
}

/**
 * `clients` concurrent clients, each sending its next request as soon as the last answered,
 * for `seconds`: GET `path(n)` for the n-th request.
 */
export async function closedLoop(
  site: string,
  opts: { clients: number; seconds: number; token: string; path: (n: number) => string },
): Promise<{ latencies: Latencies; seconds: number }> {
  const latencies = new Latencies();
  const headers = { authorization: `Bearer ${opts.token}` };
  const t0 = performance.now();
  const end = t0 + opts.seconds * 1000;
  let n = 0;
  const client = async () => {
    while (performance.now() < end) {
      const path = opts.path(n++);
      await timed(latencies, () => fetch(site + path, { headers }));
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}
