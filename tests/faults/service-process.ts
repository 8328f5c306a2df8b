/**
 * The service as its own process (`deno run -A src/main.ts`, the `deno task start` entry point),
 * for the fault tests that kill, stop or starve it: started on a free port, its log lines kept
 * for assertions and failure messages, waited on until /readyz says ready.
 */
import { OneCClient } from "../../src/onec/exchange-client.ts";

const root = new URL("../../", import.meta.url).pathname;

export interface ServiceProcess {
  child: Deno.ChildProcess;
  port: number;
  base: string;
  /** Everything it wrote to stdout and stderr so far (JSON log lines, crash traces). */
  output: string[];
  /** The exit status; resolves once the process ended and its output was read. */
  exited: Promise<Deno.CommandStatus>;
  /** The last lines of its output, for assertion messages. */
  tail(lines?: number): string;
  /** SIGKILL, if it still runs; then waits for it. */
  kill(): Promise<void>;
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export function startService(
  opts: { databaseUrl: string; port?: number; env?: Record<string, string> },
): ServiceProcess {
  const port = opts.port ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts"],
    cwd: root,
    env: {
      DATABASE_URL: opts.databaseUrl,
      PORT: String(port),
      ROLE: "all",
      LOG_LEVEL: "warn",
      EXCHANGE_ZIP: "no",
      ...opts.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const text of s.pipeThrough(new TextDecoderStream())) {
      output.push(text);
      if (Deno.env.get("TEST_LOG")) console.error(text.trimEnd());
    }
  };
  const reading = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await reading;
    return s;
  });
  let done = false;
  exited.then(() => done = true);
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    output,
    exited,
    tail: (n = 30) => output.join("").trimEnd().split("\n").slice(-n).join("\n"),
    async kill() {
      if (!done) {
        try {
          child.kill("SIGKILL");
        } catch { /* ended meanwhile */ }
      }
      await exited;
    },
  };
}

/** Waits until /readyz answers 200 (the process exiting first is an error with its output). */
export async function waitReady(s: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  s.exited.then(() => ended = true);
  while (Date.now() < deadline) {
    if (ended) throw new Error(`the service exited while starting:\n${s.tail()}`);
    try {
      const r = await fetch(`${s.base}/readyz`, { signal: AbortSignal.timeout(2000) });
      await r.body?.cancel();
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not become ready:\n${s.tail()}`);
}

/** 1C's side of the exchange, over a real socket; each request gives up after `timeoutMs`. */
export function onecClient(s: ServiceProcess, timeoutMs?: number): OneCClient {
  return new OneCClient((input, init) =>
    fetch(s.base + input, {
      ...init,
      signal: init?.signal ?? (timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined),
    })
  );
}

/**
 * Polls `check` until it returns a value. The deadline only keeps a broken test from hanging;
 * nothing is asserted about how long it took.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | false | null | undefined>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
