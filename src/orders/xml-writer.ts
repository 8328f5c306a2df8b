/**
 * A small streaming XML writer for the documents we send 1C: text accumulates until `take()`
 * hands it over (to be encoded and sent), so a document of any size is never a DOM.
 *
 * windows-1251 output: characters the code page cannot hold (₽, emoji, most non-Cyrillic
 * scripts) are written as character references (`&#8381;`), which any XML reader turns back
 * into the character; encodeCp1251 alone would turn them into "?".
 */
export type XmlEncoding = "windows-1251" | "utf-8";

/** Code points above 0x7F that windows-1251 holds. */
const CP1251 = new Set<number>();
{
  const decoder = new TextDecoder("windows-1251");
  for (let b = 0x80; b <= 0xff; b++) {
    const ch = decoder.decode(new Uint8Array([b]));
    if (ch !== "\ufffd") CP1251.add(ch.codePointAt(0)!);
  }
}

// Anything needing more than a copy: markup characters, controls XML 1.0 forbids, and (for
// windows-1251) characters outside the code page. The control range is the point here.
// deno-lint-ignore no-control-regex
const NEEDS_WORK_UTF8 = /[&<>"\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;
// Allowed characters listed instead: Cyrillic text, the common case, then skips the loop.
const NEEDS_WORK_CP1251 = new RegExp(
  `[&<>"]|[^\\t\\n\\r\\x20-\\x7F${
    [...CP1251].map((cp) => `\\u${cp.toString(16).padStart(4, "0")}`).join("")
  }]`,
);

export function escapeXml(text: string, encoding: XmlEncoding): string {
  const test = encoding === "utf-8" ? NEEDS_WORK_UTF8 : NEEDS_WORK_CP1251;
  if (!test.test(text)) return text;
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    else if (cp < 0x20) {
      if (cp === 0x09 || cp === 0x0a || cp === 0x0d) out += ch; // other controls: not XML
    } else if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff) {
      // A lone surrogate or a non-character cannot appear in XML at all: dropped.
    } else if (cp < 0x80 || encoding === "utf-8" || CP1251.has(cp)) out += ch;
    else out += `&#${cp};`;
  }
  return out;
}

export class XmlWriter {
  readonly #encoding: XmlEncoding;
  readonly #indent: string;
  #out = "";
  #stack: string[] = [];

  constructor(encoding: XmlEncoding, indent = "  ") {
    this.#encoding = encoding;
    this.#indent = indent;
  }

  declaration(): this {
    this.#out += `<?xml version="1.0" encoding="${this.#encoding}"?>\n`;
    return this;
  }

  open(name: string, attrs?: Record<string, string>): this {
    this.#out += `${this.#pad()}<${name}${this.#attrs(attrs)}>\n`;
    this.#stack.push(name);
    return this;
  }

  /** `<name>text</name>`; an empty or absent value writes `<name/>`. */
  leaf(name: string, text: string | null | undefined, attrs?: Record<string, string>): this {
    const pad = this.#pad();
    const a = this.#attrs(attrs);
    this.#out += text === null || text === undefined || text === ""
      ? `${pad}<${name}${a}/>\n`
      : `${pad}<${name}${a}>${escapeXml(text, this.#encoding)}</${name}>\n`;
    return this;
  }

  /** A leaf written only when there is a value. */
  optional(name: string, text: string | null | undefined): this {
    if (text !== null && text !== undefined && text !== "") this.leaf(name, text);
    return this;
  }

  close(): this {
    const name = this.#stack.pop();
    if (name === undefined) throw new Error("XmlWriter: close() without open()");
    this.#out += `${this.#pad()}</${name}>\n`;
    return this;
  }

  get depth(): number {
    return this.#stack.length;
  }

  /** The text written since the last take. */
  take(): string {
    const out = this.#out;
    this.#out = "";
    return out;
  }

  #pad(): string {
    return this.#indent.repeat(this.#stack.length);
  }

  #attrs(attrs: Record<string, string> | undefined): string {
    if (!attrs) return "";
    let s = "";
    for (const [k, v] of Object.entries(attrs)) s += ` ${k}="${escapeXml(v, this.#encoding)}"`;
    return s;
  }
}
