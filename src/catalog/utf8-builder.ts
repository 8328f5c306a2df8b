/**
 * Strings appended as UTF-8 to one growing buffer: a batch's COPY text is built without a small
 * array per row (one `TextEncoder.encode` per row, each array later joined and released, cost
 * an eighth of the import's CPU).
 */
import { release } from "./release-buffers.ts";

const encoder = new TextEncoder();

export class Utf8Builder {
  private buf: Uint8Array<ArrayBuffer>;
  /** Bytes written so far. */
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Appends `text`; returns the new length (where this text ends). */
  append(text: string): number {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair: 4 for two units).
    if (this.length + text.length * 3 > this.buf.length) this.grow(this.length + text.length * 3);
    this.length += encoder.encodeInto(text, this.buf.subarray(this.length)).written;
    return this.length;
  }

  /** Appends bytes `[start, end)` of another builder's output. */
  appendBytes(bytes: Uint8Array): number {
    if (this.length + bytes.length > this.buf.length) this.grow(this.length + bytes.length);
    this.buf.set(bytes, this.length);
    return (this.length += bytes.length);
  }

  /** The bytes written, in an array of their own size; the builder must not be used after. */
  finish(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.buf.buffer.transfer(this.length));
    this.buf = new Uint8Array(0);
    return out;
  }

  private grow(min: number) {
    let size = this.buf.length * 2;
    while (size < min) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    release(this.buf);
    this.buf = next;
  }
}
