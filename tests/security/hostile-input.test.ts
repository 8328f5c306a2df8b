/**
 * Hostile files through the real protocol: each gets `failure` with a clear reason, nothing
 * from it is imported, and the catalog imported before stays exactly as it was.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { BlobWriter, TextReader, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import * as F from "../fixtures/catalog-v208.ts";

const enc = new TextEncoder();

async function snapshot(h: Harness) {
  const r = await h.ctx.pool.query(
    `SELECT (SELECT count(*) FROM products)::int AS products, (SELECT count(*) FROM offers)::int AS offers,
       (SELECT string_agg(name || is_active, ',' ORDER BY onec_id) FROM products) AS names,
       (SELECT count(*) FROM groups)::int AS groups, (SELECT count(*) FROM prices)::int AS prices`,
  );
  return r.rows[0];
}

async function send(h: Harness, name: string, bytes: Uint8Array) {
  const c = new OneCClient(inProcess(h.app));
  await c.checkauth();
  await c.init();
  const [up] = await c.upload(name, bytes);
  if (up.lines[0] !== "success") return up;
  const importName = name.endsWith(".zip") ? "import.xml" : name;
  return await c.importFile(importName);
}

const wrap = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="2.08">${body}</КоммерческаяИнформация>`;

/** A catalog cut right after its first (changed) product: the harmless part must not land. */
function truncatedAfterFirstProduct(): string {
  const xml = F.importXml({ p1Name: "не должно появиться" });
  return xml.slice(0, xml.indexOf("</Товар>") + "</Товар>".length + 20);
}

async function zipOf(entries: [string, Uint8Array | string][]): Promise<Uint8Array> {
  const zw = new ZipWriter(new BlobWriter("application/zip"));
  for (const [name, data] of entries) {
    await zw.add(
      name,
      typeof data === "string" ? new TextReader(data) : new Uint8ArrayReader(data),
    );
  }
  return new Uint8Array(await (await zw.close()).arrayBuffer());
}

Deno.test("hostile input is refused whole and leaves the catalog intact", async (t) => {
  const h = await createHarness("hostile");
  try {
    const c = new OneCClient(inProcess(h.app));
    await c.checkauth();
    await c.init();
    await c.upload("import.xml", enc.encode(F.importXml()));
    await c.importFile("import.xml");
    await c.upload("offers.xml", enc.encode(F.offersXml()));
    await c.importFile("offers.xml");
    const before = await snapshot(h);
    assertEquals(before.products, 3);

    const cases: [string, string, Uint8Array | (() => Promise<Uint8Array>), RegExp][] = [
      [
        "external entity (XXE)",
        "import.xml",
        enc.encode(
          `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${
            wrap("&e;")
          }`,
        ),
        /DOCTYPE is not allowed/,
      ],
      [
        "billion laughs",
        "import.xml",
        enc.encode(
          `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${
            wrap("&b;")
          }`,
        ),
        /DOCTYPE is not allowed/,
      ],
      [
        "deep nesting",
        "import.xml",
        enc.encode(wrap("<a>".repeat(500) + "</a>".repeat(500))),
        /nested deeper than 64 levels/,
      ],
      [
        "invalid UTF-8",
        "import.xml",
        new Uint8Array([
          ...enc.encode(wrap("<Каталог><Товары><Товар><Ид>1</Ид><Наименование>")),
          0xff,
          0xfe,
          ...enc.encode("</Наименование></Товар></Товары></Каталог>"),
        ]),
        /invalid UTF-8/,
      ],
      [
        "truncated file, with harmless products before the cut",
        "import.xml",
        enc.encode(truncatedAfterFirstProduct()),
        /unexpected end|unclosed/,
      ],
      [
        "binary data named .xml",
        "import.xml",
        crypto.getRandomValues(new Uint8Array(4096)).map((b) => b | 1),
        /not an XML|invalid|line/,
      ],
      [
        "unsupported encoding",
        "import.xml",
        enc.encode(`<?xml version="1.0" encoding="KOI8-R"?><x/>`),
        /KOI8-R/,
      ],
      [
        "zip with a .. entry next to a harmless import.xml",
        "v8_evil.zip",
        () =>
          zipOf([["import.xml", F.importXml({ p1Name: "из злого архива" })], [
            "../../etc/cron.d/x",
            "* * * * * root sh",
          ]]),
        /unsafe file name|\.\./,
      ],
      [
        "zip bomb",
        "v8_bomb.zip",
        () =>
          zipOf([["import.xml", F.importXml({ p1Name: "из бомбы" })], [
            "import_files/aa/zeros.jpg",
            new Uint8Array(64 * 1024 * 1024),
          ]]),
        /ratio/,
      ],
      [
        "a 100 MB single text node (the limit is 16 Mi characters, memory stays bounded)",
        "import.xml",
        () => {
          const head = enc.encode(
            wrap("<Каталог><Товары><Товар><Ид>1</Ид><Описание>").replace(/<\/Комм.*$/, ""),
          );
          const bytes = new Uint8Array(head.length + 100 * 1024 * 1024);
          bytes.set(head);
          bytes.fill(0x61, head.length); // "aaaa…" and never a closing tag
          return Promise.resolve(bytes);
        },
        /text longer than 16777216 characters/,
      ],
      [
        "a declaration naming one encoding over bytes of another",
        "import.xml",
        new Uint8Array([
          ...enc.encode(`<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация>`),
          ...[0xca, 0xe0, 0xf2, 0xe0, 0xeb, 0xee, 0xe3], // «Каталог» in windows-1251
          ...enc.encode("</КоммерческаяИнформация>"),
        ]),
        /invalid UTF-8 byte sequence at byte offset \d+ \(declared encoding UTF-8\)/,
      ],
      [
        "random bytes named .zip",
        "v8_junk.zip",
        crypto.getRandomValues(new Uint8Array(2048)),
        /zip|archive/i,
      ],
    ];

    for (const [label, name, bytesOrMake, reason] of cases) {
      await t.step(label, async () => {
        const bytes = typeof bytesOrMake === "function" ? await bytesOrMake() : bytesOrMake;
        const a = await send(h, name, bytes);
        assertEquals(a.lines[0], "failure", `${label}: ${a.lines.join(" | ")}`);
        assertMatch(a.lines.slice(1).join(" "), reason);
        assertEquals(await snapshot(h), before, `${label}: the catalog changed`);
      });
    }

    await t.step("file names with NUL, backslash tricks and look-alikes are refused", async () => {
      const c2 = new OneCClient(inProcess(h.app));
      await c2.checkauth();
      await c2.init();
      for (
        const name of [
          "a\u0000.xml",
          "..\\..\\x.xml",
          "import_files/\uff0e\uff0e/x.jpg",
          "a/\u2025/b.xml".replace("\u2025", "\uff0e\uff0e"),
        ]
      ) {
        const [a] = await c2.upload(name, enc.encode("<x/>"));
        assertEquals(a.lines[0], "failure", name);
      }
      const files = await h.ctx.pool.query(
        "SELECT name FROM upload_files WHERE name !~ '^[A-Za-z0-9_./-]+$'",
      );
      assertEquals(files.rows, []);
    });

    await t.step("thousands of tiny parts are put together exactly", async () => {
      const c2 = new OneCClient(inProcess(h.app));
      await c2.checkauth();
      await c2.init();
      const xml = enc.encode(F.importXml());
      const partSize = Math.ceil(xml.length / 2000);
      const answers = await c2.upload("import.xml", xml, partSize);
      assert(answers.length >= 1900, `${answers.length} parts`);
      assert(answers.every((a) => a.lines[0] === "success"));
      const done = await c2.importFile("import.xml");
      assertEquals(done.lines[0], "success", done.lines.join(" | "));
      assertEquals(await snapshot(h), before, "the same catalog, unchanged");
    });

    await t.step("the service still works afterwards", async () => {
      const a = await send(h, "import.xml", enc.encode(F.importXml()));
      assertEquals(a.lines[0], "success");
      assert((await h.app.request("/healthz")).ok);
    });
  } finally {
    await h.close();
  }
});
