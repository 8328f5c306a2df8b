/**
 * Whether an upload already holds a whole file: an XML document that ends with its root's
 * closing tag, or a zip archive whose end-of-central-directory record is there. Used by the
 * old sale protocol, which imports at `mode=file` — a file cut at file_limit arrives in parts
 * and must not be imported half-way.
 */
import type pg from "pg";
import { Buffer } from "node:buffer";
import { encodeCp1251 } from "../text/cp1251.ts";

const ROOT = "КоммерческаяИнформация>";
const ROOT_ENDINGS = [new TextEncoder().encode(ROOT), encodeCp1251(ROOT)];
/** "PK\x05\x06": the end-of-central-directory signature. */
const EOCD = [0x50, 0x4b, 0x05, 0x06];
/** The EOCD record is 22 bytes plus a comment of at most 65535. */
const EOCD_SEARCH = 22 + 65535;

export async function isCompleteUpload(
  pool: pg.Pool,
  fileId: string,
  name: string,
): Promise<boolean> {
  // The last two chunks: the tail may straddle a chunk boundary, the EOCD lies within 64 KiB.
  const r = await pool.query<{ d: string }>(
    `SELECT encode(data, 'base64') AS d FROM upload_chunks
     WHERE file_id = $1 ORDER BY seq DESC LIMIT 2`,
    [fileId],
  );
  if (r.rows.length === 0) return false;
  const parts = r.rows.reverse().map((row: { d: string }) => Buffer.from(row.d, "base64"));
  const tail = new Uint8Array(Buffer.concat(parts));
  if (name.toLowerCase().endsWith(".zip")) return hasEocd(tail);
  return endsWithRootClose(tail);
}

function endsWithRootClose(bytes: Uint8Array): boolean {
  let end = bytes.length;
  // Trailing whitespace (and the NUL padding some 1C versions leave) does not count.
  while (end > 0 && [0x20, 0x09, 0x0a, 0x0d, 0x00].includes(bytes[end - 1])) end--;
  for (const ending of ROOT_ENDINGS) {
    const start = end - ending.length;
    if (start < 2) continue;
    let same = true;
    for (let i = 0; i < ending.length && same; i++) same = bytes[start + i] === ending[i];
    // `</КоммерческаяИнформация>` or a prefixed `</ns:КоммерческаяИнформация>`.
    if (same && (bytes[start - 1] === 0x2f || bytes[start - 1] === 0x3a)) return true;
  }
  return false;
}

function hasEocd(bytes: Uint8Array): boolean {
  const from = Math.max(0, bytes.length - EOCD_SEARCH);
  for (let i = bytes.length - 22; i >= from; i--) {
    if (
      bytes[i] === EOCD[0] && bytes[i + 1] === EOCD[1] && bytes[i + 2] === EOCD[2] &&
      bytes[i + 3] === EOCD[3]
    ) return true;
  }
  return false;
}
