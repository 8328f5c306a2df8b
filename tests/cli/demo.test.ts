/**
 * `deno task demo` against a real service on a socket: the catalog through the 1C protocol,
 * customers and orders through the API; a second run adds nothing.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";

const root = new URL("../..", import.meta.url).pathname;

async function runDemo(url: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/demo.ts", "--url", url, "--products", "60"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  return text;
}

Deno.test("deno task demo loads a catalog, customers and orders, once", async () => {
  const h = await createHarness("demo");
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, h.app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const first = await runDemo(url);
    assertMatch(first, /60 products, \d+ offers loaded/);
    assertMatch(first, /5 customers created \(0 already there\), 5 orders created/);

    const second = await runDemo(url);
    assertMatch(second, /0 customers created \(5 already there\), 0 orders created/);

    const count = async (table: string) =>
      Number((await h.ctx.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
    assertEquals(await count("products"), 60);
    assertEquals(await count("customers"), 5);
    assertEquals(await count("orders"), 5);
    const lines = await h.ctx.pool.query(
      `SELECT count(*)::int AS n FROM order_lines l JOIN offers o ON o.onec_id = l.offer_id`,
    );
    assertEquals(lines.rows[0].n, 1 + 2 + 3 + 1 + 2);
    const roles = await h.ctx.pool.query(`SELECT count(*)::int AS n FROM price_type_roles`);
    assertEquals(roles.rows[0].n, 2);
  } finally {
    await server.shutdown();
    await h.close();
  }
});
