/**
 * Benchmark baseline: decode + saxes over the same bytes, counting opening tags and nothing else.
 * The reader's cost is reported as a multiple of this ("×bare", see spec/import-performance.md).
 */
import { SaxesParser } from "saxes";
import { decodeXml } from "./decode.ts";

export async function bareParse(
  source: AsyncIterable<Uint8Array>,
): Promise<{ elements: number; bytes: number }> {
  let bytes = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  let elements = 0;
  const parser = new SaxesParser({ xmlns: false });
  parser.on("opentag", () => {
    elements++;
  });
  for await (const text of decodeXml(counted())) parser.write(text);
  parser.close();
  return { elements, bytes };
}
