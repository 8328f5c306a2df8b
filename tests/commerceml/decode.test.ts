import { assert, assertEquals, assertRejects } from "@std/assert";
import { decodeXml, firstInvalidUtf8 } from "../../src/commerceml/decode.ts";
import { CmlError } from "../../src/commerceml/records.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A tiny windows-1251 encoder: ASCII, А–я, Ё/ё and the № sign are all the tests need. */
function cp1251(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) out[i] = c;
    else if (c >= 0x410 && c <= 0x44f) out[i] = c - 0x410 + 0xc0;
    else if (c === 0x401) out[i] = 0xa8; // Ё
    else if (c === 0x451) out[i] = 0xb8; // ё
    else if (c === 0x2116) out[i] = 0xb9; // №
    else throw new Error(`not in the test encoder: ${s[i]}`);
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.slice(i, i + size);
}

async function decodeAll(bytes: Uint8Array, size = 65536): Promise<string> {
  let text = "";
  for await (const piece of decodeXml(chunked(bytes, size))) text += piece;
  return text;
}

const XML_BODY = "<КоммерческаяИнформация><Ид>Ёлка №1 ёж</Ид></КоммерческаяИнформация>";

Deno.test("UTF-8: BOM stripped, declaration optional, any chunking", async () => {
  const decl = `<?xml version="1.0" encoding="UTF-8"?>\n`;
  const expected = decl + XML_BODY;
  const withBom = concat(new Uint8Array([0xef, 0xbb, 0xbf]), utf8(expected));
  for (const size of [1, 2, 3, 5, 64, 65536]) {
    assertEquals(await decodeAll(withBom, size), expected, `chunk size ${size}`);
  }
  assertEquals(await decodeAll(utf8(XML_BODY)), XML_BODY); // no declaration → UTF-8
  assertEquals(
    await decodeAll(utf8(`<?xml version='1.0' encoding='utf-8'?>${XML_BODY}`), 7),
    `<?xml version='1.0' encoding='utf-8'?>${XML_BODY}`,
  );
  assertEquals(await decodeAll(new Uint8Array(0)), "");
});

Deno.test("windows-1251 declared under any of its names", async () => {
  for (const label of ["windows-1251", "Windows-1251", "WINDOWS-1251", "cp1251", "CP1251"]) {
    const text = `<?xml version="1.0" encoding="${label}"?>\r\n${XML_BODY}`;
    const bytes = cp1251(text);
    assertEquals(await decodeAll(bytes), text, label);
    assertEquals(await decodeAll(bytes, 1), text, `${label}, 1-byte chunks`);
  }
});

Deno.test("a UTF-8 BOM wins over a contradicting declaration", async () => {
  const text = `<?xml version="1.0" encoding="windows-1251"?>${XML_BODY}`;
  assertEquals(await decodeAll(concat(new Uint8Array([0xef, 0xbb, 0xbf]), utf8(text))), text);
});

Deno.test("unsupported declared encoding names it", async () => {
  for (const label of ["KOI8-R", "ISO-8859-5", "UTF-16"]) {
    const err = await assertRejects(
      () => decodeAll(utf8(`<?xml version="1.0" encoding="${label}"?><a/>`)),
      CmlError,
    );
    assert(err.message.includes(`"${label}"`), err.message);
  }
});

Deno.test("invalid UTF-8 fails with the byte offset instead of producing U+FFFD", async () => {
  const head = utf8(`<?xml version="1.0" encoding="UTF-8"?><a>Привет`);
  const bytes = concat(head, new Uint8Array([0xc0, 0x80]), utf8("</a>"));
  for (const size of [1, 3, 10, 65536]) {
    const err = await assertRejects(() => decodeAll(bytes, size), CmlError);
    assertEquals(
      err.message,
      `invalid UTF-8 byte sequence at byte offset ${head.byteLength} (declared encoding UTF-8)`,
      `chunk size ${size}`,
    );
  }
  // A cp1251 file without a declaration is invalid UTF-8; with a BOM the offset counts it.
  const cyr = concat(new Uint8Array([0xef, 0xbb, 0xbf]), cp1251(`<a>Цена</a>`));
  const err = await assertRejects(() => decodeAll(cyr, 2), CmlError);
  assert(err.message.includes("at byte offset 6"), err.message);
  // A multi-byte character split over chunks and then broken.
  const split = concat(utf8("<a>"), new Uint8Array([0xd0]), utf8("x</a>"));
  const err2 = await assertRejects(() => decodeAll(split, 4), CmlError);
  assert(err2.message.includes("at byte offset 3"), err2.message);
  // Truncated inside a character at the very end.
  const cut = concat(utf8("<a>П"), new Uint8Array([0xd1]));
  const err3 = await assertRejects(() => decodeAll(cut, 2), CmlError);
  assert(err3.message.includes("invalid UTF-8") && err3.message.includes("offset 5"), err3.message);
});

Deno.test("firstInvalidUtf8", () => {
  assertEquals(firstInvalidUtf8(utf8("aП€😀")), -1);
  assertEquals(firstInvalidUtf8(new Uint8Array([0x61, 0xff])), 1);
  assertEquals(firstInvalidUtf8(new Uint8Array([0x61, 0xe0, 0x80, 0x80])), 1); // overlong
  assertEquals(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80])), 0); // surrogate
  assertEquals(firstInvalidUtf8(new Uint8Array([0x61, 0x62, 0xf0, 0x9f])), 2); // truncated
});

Deno.test("UTF-16 is refused (with or without BOM)", async () => {
  const le = new Uint8Array([0xff, 0xfe, 0x3c, 0x00, 0x3f, 0x00]);
  const be = new Uint8Array([0xfe, 0xff, 0x00, 0x3c, 0x00, 0x3f]);
  const noBom = new Uint8Array([0x3c, 0x00, 0x3f, 0x00, 0x78, 0x00]);
  for (const bytes of [le, be, noBom]) {
    const err = await assertRejects(() => decodeAll(bytes), CmlError);
    assert(err.message.includes("UTF-16"), err.message);
  }
});

Deno.test("binary junk is not an XML file", async () => {
  const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
  const err = await assertRejects(() => decodeAll(zip), CmlError);
  assert(err.message.includes("not an XML file"), err.message);
  const nulLater = concat(utf8("<a>"), new Uint8Array(10), utf8("</a>"));
  const err2 = await assertRejects(() => decodeAll(nulLater, 1), CmlError);
  assert(err2.message.includes("not an XML file"), err2.message);
  const text = await assertRejects(() => decodeAll(utf8("hello, world")), CmlError);
  assert(text.message.includes("not an XML file"), text.message);
});

Deno.test("streaming: text comes out before the input ends, and stopping early closes the source", async () => {
  let pulled = 0;
  let closed = false;
  async function* source(): AsyncIterable<Uint8Array> {
    try {
      yield utf8(`<?xml version="1.0" encoding="UTF-8"?><a>${"x".repeat(2000)}`);
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield utf8("<b>y</b>");
      }
    } finally {
      closed = true;
    }
  }
  for await (const piece of decodeXml(source())) {
    assert(piece.startsWith("<?xml"));
    break;
  }
  assertEquals(pulled, 0);
  assert(closed, "the source was released");
});
