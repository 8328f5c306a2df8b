/**
 * The service as a process, as Fly runs it: health checks, request ids, JSON logs without
 * secrets, graceful shutdown on SIGTERM.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";

const root = new URL("../../", import.meta.url).pathname;
const PASSWORD = "exchange-pass-7e1b";
const TOKEN = "reader-token-55aa77cc";

Deno.test("the service process: health, request ids, no secrets in logs, SIGTERM", async () => {
  const url = await createTestDatabase("process");
  const port = 19000 + Math.floor(Math.random() * 900);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts"],
    cwd: root,
    env: {
      DATABASE_URL: url,
      PORT: String(port),
      EXCHANGE_LOGIN: "shop",
      EXCHANGE_PASSWORD: PASSWORD,
      API_TOKENS: `reader:${TOKEN}`,
      LOG_LEVEL: "debug",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const b of s.pipeThrough(new TextDecoderStream())) out.push(b);
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const base = `http://127.0.0.1:${port}`;
  try {
    let ready: Response | null = null;
    for (let i = 0; i < 200 && !ready?.ok; i++) {
      try {
        ready = await fetch(`${base}/readyz`);
        if (!ready.ok) await ready.body?.cancel();
      } catch { /* not listening yet */ }
      if (!ready?.ok) await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(await ready!.json(), { status: "ready" });
    assertEquals(await (await fetch(`${base}/healthz`)).json(), { status: "ok" });

    const auth = await fetch(`${base}/1c_exchange.php?type=catalog&mode=checkauth`, {
      headers: {
        Authorization: `Basic ${btoa(`shop:${PASSWORD}`)}`,
        "X-Request-Id": "req-from-1c-42",
      },
    });
    assertEquals(auth.headers.get("x-request-id"), "req-from-1c-42");
    assertEquals((await auth.text()).split("\n")[0], "success");
    const api = await fetch(`${base}/api/v1/products`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assertEquals(api.status, 200);
    assertMatch(api.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
    await api.body?.cancel();
    const wrong = await fetch(`${base}/1c_exchange.php?type=catalog&mode=checkauth`, {
      headers: { Authorization: `Basic ${btoa(`shop:${PASSWORD}-wrong`)}` },
    });
    assertEquals((await wrong.text()).split("\n")[0], "failure");

    child.kill("SIGTERM");
    const status = await child.status;
    await collecting;
    assertEquals(status.code, 0, out.join(""));
    const logs = out.join("");
    const lines = logs.trim().split("\n").filter((l) => l.startsWith("{"));
    for (const l of lines) JSON.parse(l); // every line is JSON
    assert(
      lines.some((l) =>
        l.includes('"requestId":"req-from-1c-42"') && l.includes("1c exchange request")
      ),
      "the exchange line carries the request id",
    );
    assert(lines.some((l) => l.includes('"msg":"stopped"')), "graceful stop logged");
    for (const secret of [PASSWORD, TOKEN, btoa(`shop:${PASSWORD}`)]) {
      assert(!logs.includes(secret), `a secret leaked into the logs: ${secret}`);
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await dropTestDatabase(url);
  }
});
