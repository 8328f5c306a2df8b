/**
 * COPY's text format (PostgreSQL docs, COPY, "Text Format"): one line per row, columns
 * separated by a tab, `\N` for NULL; a backslash, newline, carriage return or tab inside a
 * value is written as `\\`, `\n`, `\r`, `\t`.
 *
 * Pure string functions, apart from the protocol (pg-copy.ts): the import's worker thread
 * builds its batches' text with them without loading a database client.
 */

export type CopyValue = string | number | boolean | null;

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const escapeChar = (c: string) => ESCAPES[c];

/** One value in COPY text format. */
export function copyField(value: CopyValue): string {
  if (value === null) return "\\N";
  if (typeof value === "string") {
    return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, escapeChar) : value;
  }
  if (typeof value === "boolean") return value ? "t" : "f";
  return String(value);
}

const decoder = new TextDecoder();
const ESCAPED = /\\(.)/g;
const UNESCAPES: Record<string, string> = { "\\": "\\", n: "\n", r: "\r", t: "\t" };
const unescapeChar = (_: string, c: string) => UNESCAPES[c] ?? c;

/**
 * COPY text lines ("\n"-terminated, as copyField writes their values) split back into
 * columns of values: `\N` is null, text is unescaped; numbers and booleans stay text
 * (Postgres casts them, e.g. `$1::numeric[]`).
 */
export function copyColumns(data: string | Uint8Array, columns: number): (string | null)[][] {
  const text = typeof data === "string" ? data : decoder.decode(data);
  const out: (string | null)[][] = Array.from({ length: columns }, () => []);
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const fields = text.slice(at, end).split("\t");
    if (fields.length !== columns) {
      throw new Error(`COPY line has ${fields.length} columns, expected ${columns}`);
    }
    for (let c = 0; c < columns; c++) {
      const f = fields[c];
      out[c].push(f === "\\N" ? null : f.includes("\\") ? f.replace(ESCAPED, unescapeChar) : f);
    }
    at = end + 1;
  }
  return out;
}

const ARRAY_SPECIAL = /["\\]/g;

/**
 * A `text[]` literal (`{"a","b"}`), to be passed through copyField like any text: every element
 * quoted, so commas, braces, spaces and the word NULL stay data.
 */
export function textArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return "{}";
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    out += `"${values[i].replace(ARRAY_SPECIAL, "\\$&")}"`;
  }
  return out + "}";
}
