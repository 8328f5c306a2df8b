import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { contentHash } from "../../src/catalog/content-hash.ts";
import { Utf8Builder } from "../../src/catalog/utf8-builder.ts";

Deno.test("contentHash: 16 hex digits, the same for the same text", () => {
  const text = "id-1\tЧайник «Витязь»\t\\N\t{}\tt";
  assertEquals(contentHash(text), contentHash(text.slice(0, 4) + text.slice(4)));
  assert(/^[0-9a-f]{16}$/.test(contentHash(text)));
  assert(/^[0-9a-f]{16}$/.test(contentHash("")));
});

Deno.test("contentHash: every one-character change of a row changes its hash", () => {
  const row = "b1c2d3e4-0000-4711-8000-000000000001\tПлатье летнее\tART-42\t\\N\t1250.5\tt";
  const seen = new Set([contentHash(row)]);
  for (let i = 0; i < row.length; i++) {
    for (const c of ["0", "x", "\t", "Я", "\\"]) {
      if (row[i] === c) continue;
      const changed = row.slice(0, i) + c + row.slice(i + 1);
      assertNotEquals(contentHash(changed), contentHash(row), `position ${i} → ${c}`);
      seen.add(contentHash(changed));
    }
  }
  // Different changes give different hashes too (no structure that collides).
  assert(seen.size > row.length * 4, `${seen.size} distinct hashes`);
});

Deno.test("contentHash: moved, added or dropped text changes the hash", () => {
  const base = "a\tb\tc";
  for (const other of ["a\tc\tb", "a\tb\tc\t", "a\tb", "\ta\tb\tc", "a\tbc\t"]) {
    assertNotEquals(contentHash(other), contentHash(base), other);
  }
});

Deno.test("Utf8Builder: appended text as UTF-8, growing past its first buffer", () => {
  const b = new Utf8Builder(8);
  const parts = ["abc", "Привет\t", "😀", "x".repeat(100), ""];
  const ends = parts.map((p) => b.append(p));
  const bytes = b.finish();
  const expected = new TextEncoder().encode(parts.join(""));
  assertEquals(bytes, expected);
  assertEquals(bytes.buffer.byteLength, expected.length, "no spare capacity left over");
  assertEquals(
    ends,
    parts.map((_, i) => new TextEncoder().encode(parts.slice(0, i + 1).join("")).length),
  );
});

Deno.test("Utf8Builder: bytes appended as they are", () => {
  const b = new Utf8Builder(4);
  b.append("ab");
  b.appendBytes(new Uint8Array([0xd0, 0x96]));
  assertEquals(new TextDecoder().decode(b.finish()), "abЖ");
});
