/**
 * Frees the memory of typed arrays nobody will read again now, instead of at V8's next GC.
 * An import moves hundreds of megabytes through 1 MiB buffers; V8 lets tens of megabytes of
 * unreachable ArrayBuffer memory pile up before it collects them (their size is outside the
 * JS heap it sizes GC by), which is most of the service's peak RSS. Detaching a buffer
 * (`ArrayBuffer.prototype.transfer(0)`) releases its memory at once.
 *
 * Only for arrays this code owns whole: a view into a buffer shared with something else is
 * left alone (the other user may still read it).
 */
export function release(...arrays: readonly ArrayBufferView[]): void {
  for (const a of arrays) {
    const b = a.buffer;
    if (
      b instanceof ArrayBuffer && !b.detached && !b.resizable && a.byteOffset === 0 &&
      a.byteLength === b.byteLength && b.byteLength > 0
    ) {
      b.transfer(0);
    }
  }
}
