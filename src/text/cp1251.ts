/**
 * windows-1251 encoding. TextDecoder reads it natively; TextEncoder only writes UTF-8, and
 * old 1C versions show UTF-8 protocol messages as mojibake in their log.
 */
const TABLE = new Map<number, number>();
{
  const decoder = new TextDecoder("windows-1251");
  for (let b = 0x80; b <= 0xff; b++) {
    const ch = decoder.decode(new Uint8Array([b]));
    if (ch !== "\ufffd") TABLE.set(ch.codePointAt(0)!, b);
  }
}

/** Characters windows-1251 cannot represent become "?". */
export function encodeCp1251(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out[n++] = cp < 0x80 ? cp : TABLE.get(cp) ?? 0x3f;
  }
  return out.subarray(0, n);
}
