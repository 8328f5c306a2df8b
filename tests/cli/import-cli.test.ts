/**
 * `deno task import` as an operator runs it: a subprocess against a real database, with
 * real files on disk.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { BlobWriter, TextReader, ZipWriter } from "@zip.js/zip.js";
import pg from "pg";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";
import * as F from "../fixtures/catalog-v208.ts";

const root = new URL("../../", import.meta.url).pathname;

async function cli(url: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/import.ts", ...args],
    cwd: root,
    env: { DATABASE_URL: url, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

async function count(url: string, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  } finally {
    await c.end();
  }
}

Deno.test("deno task import: dry run, real run, kind check, zip", async (t) => {
  const url = await createTestDatabase("cli_import");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/import.xml`, F.importXml());
    await Deno.writeTextFile(`${dir}/offers.xml`, F.offersXml());

    await t.step("--dry-run reports what would change and writes nothing", async () => {
      const r = await cli(url, "--file", `${dir}/import.xml`, "--dry-run");
      assertEquals(r.code, 0, r.text);
      assertMatch(r.text, /dry run \(nothing written\) — would be: .*products: 3 created/);
      assertEquals(await count(url, "products"), 0);
    });

    await t.step("a real run imports, and a second one finds everything unchanged", async () => {
      const r = await cli(url, "--file", `${dir}/import.xml`, "--chunk-size", "2");
      assertEquals(r.code, 0, r.text);
      assertMatch(r.text, /imported: .*products: 3 created/);
      assertEquals(await count(url, "products"), 3);
      const again = await cli(url, "--file", `${dir}/import.xml`);
      assertMatch(again.text, /products: 3 unchanged/);
    });

    await t.step("--kind refuses a file that holds something else", async () => {
      const r = await cli(url, "--file", `${dir}/import.xml`, "--kind", "prices");
      assertEquals(r.code, 1);
      assertStringIncludes(r.text, "the file holds catalog data, not prices");
    });

    await t.step("a zip imports its XML files in exchange order", async () => {
      const zw = new ZipWriter(new BlobWriter("application/zip"));
      await zw.add("offers.xml", new TextReader(F.offersXml({ p1Retail: "777" })));
      await zw.add("import.xml", new TextReader(F.importXml()));
      await Deno.writeFile(
        `${dir}/v8_1.zip`,
        new Uint8Array(await (await zw.close()).arrayBuffer()),
      );
      const r = await cli(url, "--file", `${dir}/v8_1.zip`);
      assertEquals(r.code, 0, r.text);
      const lines = r.text.trim().split("\n").filter((l) => /^(import|offers)\.xml:/.test(l));
      assert(lines[0].startsWith("import.xml"), r.text);
      assert(lines[1].startsWith("offers.xml"), r.text);
      assertEquals(await count(url, "prices"), 3);
    });

    await t.step("a missing option is a usage error", async () => {
      const r = await cli(url);
      assertEquals(r.code, 2);
      assertStringIncludes(r.text, "--file PATH is required");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await dropTestDatabase(url);
  }
});
