/**
 * The content hash kept on each product and offer row (and its prices and stock), so that a
 * re-import sends only what changed. It is compared with the hash of the same row's next
 * version, never used as an identity, and nobody chooses its input against us (1C sends its
 * own catalog), so it needs no cryptography — only to notice a change.
 *
 * Two independent 32-bit multiplicative lanes over the UTF-16 code units: each step is a
 * bijection of the lane's state, so two texts that differ in one place always hash apart, and
 * any other difference slips through with a chance of about 2^-64. Plain JavaScript over the
 * string the COPY line is built from: no UTF-8 encoding and no native call per row (a sha1 per
 * row through node:crypto, three per offer, was a fifth of the offers import's CPU).
 */
export function contentHash(text: string): string {
  let a = 0x811c9dc5, b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x9e3779b1);
    b = Math.imul(b ^ c, 0x85ebca77);
  }
  // Final mixing, each lane into the other, so every input bit reaches every output bit.
  a ^= text.length;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return hex8(a >>> 0) + hex8(b >>> 0);
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");
