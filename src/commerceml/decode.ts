/**
 * Streaming byte → text decoding for CommerceML files. 1C writes UTF-8 (usually with a BOM) or,
 * in older/Bitrix files, windows-1251 declared in the prolog:
 *   <?xml version="1.0" encoding="windows-1251"?>
 * We sniff the first bytes once, then decode chunk by chunk; the input is never concatenated.
 */
import { CmlError } from "./records.ts";
import { concatBytes } from "../concat-bytes.ts";

/** How many leading bytes we look at for the BOM, the XML declaration and binary junk. */
const SNIFF_BYTES = 1024;

/** Declared encodings we accept (lower-cased) → WHATWG label for TextDecoder. */
const SUPPORTED: Readonly<Record<string, string>> = {
  "utf-8": "utf-8",
  "utf8": "utf-8",
  "windows-1251": "windows-1251",
  "cp1251": "windows-1251",
  "x-cp1251": "windows-1251",
};

// Searched in a latin1 view of the head; `[^>]` keeps the match inside the declaration.
const XML_DECL_ENCODING = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"'>]*)\1/;

/** Decodes an XML byte stream to text, honouring the BOM and the declared encoding. */
export async function* decodeXml(source: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  try {
    // Collect just enough of the head to sniff (one chunk in practice; tiny chunks are joined).
    const headParts: Uint8Array[] = [];
    let headLength = 0;
    while (headLength < SNIFF_BYTES) {
      const step = await iterator.next();
      if (step.done) {
        done = true;
        break;
      }
      if (step.value.byteLength === 0) continue;
      // A source may free a chunk's memory once the next one is asked for (parserInput with
      // releaseChunks): small parts kept for the head are copied. The part that completes the
      // head is used before anything more is read.
      headParts.push(step.value.byteLength < SNIFF_BYTES ? step.value.slice() : step.value);
      headLength += step.value.byteLength;
    }
    const head = headParts.length === 1 ? headParts[0] : concatBytes(headParts, headLength);
    const { label, bomLength } = sniff(head);
    const decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });

    // Byte offset of `chunk[0]` in the file, and the previous chunk (for locating a bad sequence
    // that started at its end).
    let offset = 0;
    let previous: Uint8Array | null = null;
    const decode = (chunk: Uint8Array, start: number): string => {
      try {
        return decoder.decode(start === 0 ? chunk : chunk.subarray(start), { stream: true });
      } catch {
        throw invalidUtf8(previous, chunk, offset, start);
      }
    };

    let text = decode(head, bomLength);
    if (text.length !== 0) yield text;
    offset += head.byteLength;
    previous = head;
    while (!done) {
      const step = await iterator.next();
      if (step.done) {
        done = true;
        break;
      }
      const chunk = step.value;
      if (chunk.byteLength === 0) continue;
      text = decode(chunk, 0);
      if (text.length !== 0) yield text;
      offset += chunk.byteLength;
      previous = chunk;
    }
    try {
      text = decoder.decode();
    } catch {
      // The file ends inside a multi-byte sequence.
      const pending = previous === null ? 0 : incompleteTail(previous);
      throw new CmlError(
        `invalid UTF-8: truncated multi-byte sequence at byte offset ${
          offset - pending
        } (declared encoding UTF-8)`,
      );
    }
    if (text.length !== 0) yield text;
  } finally {
    // Stopped early (consumer break or error): release the source.
    if (!done) await iterator.return?.();
  }
}

/** Picks the decoder label from the first bytes, or throws for inputs we do not accept. */
function sniff(head: Uint8Array): { label: string; bomLength: number } {
  if (head.byteLength >= 2) {
    const b0 = head[0], b1 = head[1];
    if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe)) {
      throw new CmlError(
        "UTF-16 (byte order mark) is not supported; expected UTF-8 or windows-1251",
      );
    }
    // "<?" in UTF-16 without a BOM.
    if ((b0 === 0x3c && b1 === 0 && head[2] === 0x3f) || (b0 === 0 && b1 === 0x3c)) {
      throw new CmlError("UTF-16 is not supported; expected UTF-8 or windows-1251");
    }
  }
  const bomLength = head.byteLength >= 3 && head[0] === 0xef && head[1] === 0xbb &&
      head[2] === 0xbf
    ? 3
    : 0;
  const end = Math.min(head.byteLength, SNIFF_BYTES);
  for (let i = bomLength; i < end; i++) {
    if (head[i] === 0) throw new CmlError("not an XML file (binary data: NUL byte at the start)");
  }
  let first = bomLength;
  while (first < end && isSpace(head[first])) first++;
  if (first < end && head[first] !== 0x3c /* < */) {
    throw new CmlError("not an XML file (does not start with '<')");
  }

  // The declaration is ASCII, so a latin1 view of the head is enough to read it.
  const declText = latin1(head.subarray(first, end));
  const match = XML_DECL_ENCODING.exec(declText);
  if (match === null) return { label: "utf-8", bomLength }; // No declaration → UTF-8 (XML 1.0 §4.3.3).
  const declared = match[2].trim();
  const label = SUPPORTED[declared.toLowerCase()];
  if (label === undefined) {
    throw new CmlError(
      `unsupported encoding "${declared}" declared in the XML prolog; expected UTF-8 or windows-1251`,
    );
  }
  // A UTF-8 BOM wins over a contradicting declaration: the bytes really are UTF-8.
  return { label: bomLength === 3 ? "utf-8" : label, bomLength };
}

function invalidUtf8(
  previous: Uint8Array | null,
  chunk: Uint8Array,
  offset: number,
  start: number,
): CmlError {
  // The decoder may hold up to 3 bytes from the previous chunk; validate them together with this one.
  const carried = previous === null ? 0 : incompleteTail(previous);
  const tail = carried === 0
    ? new Uint8Array(0)
    : previous!.subarray(previous!.byteLength - carried);
  const joined = concatBytes([tail, chunk.subarray(start)], carried + chunk.byteLength - start);
  const bad = firstInvalidUtf8(joined);
  const at = offset + start - carried + (bad < 0 ? 0 : bad);
  return new CmlError(`invalid UTF-8 byte sequence at byte offset ${at} (declared encoding UTF-8)`);
}

/** Length of an unfinished UTF-8 sequence at the end of `bytes` (0 when it ends cleanly). */
function incompleteTail(bytes: Uint8Array): number {
  const n = bytes.byteLength;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Index of the first byte that starts an invalid (or truncated) UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.byteLength;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    if (i + need >= n) return i; // truncated at the end
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.byteLength; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
