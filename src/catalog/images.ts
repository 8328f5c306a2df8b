/**
 * Product pictures. 1C sends them as `import_files/<2 chars>/<file>` — inside the zip or as
 * separate `mode=file` uploads — and names them in `<Картинка>` by the same relative path
 * ("relative to the directory of the XML file", which for 3.x packages may be `goods/1/`).
 *
 * Each picture is stored once per content (sha256) however often 1C re-sends it (a peer's
 * users ended with 51 GB of copies of 8 GB of pictures); the path maps to the content; what no
 * product references any more is removed.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { readUpload } from "../exchange/uploads.ts";
import { concatBytes } from "../concat-bytes.ts";

const TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  bmp: "image/bmp",
  avif: "image/avif",
};
/** One picture is read whole into memory to store it: bound it. */
export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

export function imageContentType(path: string): string | null {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? null;
}

/**
 * The key a picture is known by: its path from `import_files/` on, so that a goods package in
 * `goods/1/` and a picture uploaded at the root meet. Other paths stay as they are.
 */
export function imageKey(path: string): string {
  const clean = path.replaceAll("\\", "/").replace(/^\/+/, "");
  const i = clean.indexOf("import_files/");
  return i > 0 ? clean.slice(i) : clean;
}

export interface PublishResult {
  stored: number;
  reused: number;
  skipped: string[];
}

/** Stores the session's uploaded pictures not stored yet. */
export async function publishSessionImages(
  pool: pg.Pool,
  sessionId: string,
): Promise<PublishResult> {
  const files = await pool.query<{ id: string; name: string; size: string }>(
    `SELECT id, name, size FROM upload_files
     WHERE session_id = $1 AND published_at IS NULL AND name !~* '\\.(xml|zip)$'`,
    [sessionId],
  );
  const result: PublishResult = { stored: 0, reused: 0, skipped: [] };
  for (const f of files.rows) {
    const type = imageContentType(f.name);
    if (!type || Number(f.size) > MAX_IMAGE_BYTES) {
      result.skipped.push(f.name);
    } else {
      const parts: Uint8Array[] = [];
      const h = createHash("sha256");
      for await (const chunk of readUpload(pool, f.id)) {
        h.update(chunk);
        parts.push(chunk);
      }
      const sha256 = h.digest("hex");
      const data = concatBytes(parts);
      const ins = await pool.query(
        `INSERT INTO images (sha256, content_type, size, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING`,
        [sha256, type, data.length, data],
      );
      if (ins.rowCount) result.stored++;
      else result.reused++;
      await pool.query(
        `INSERT INTO image_paths (path, sha256) VALUES ($1, $2)
         ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, updated_at = now()
         WHERE image_paths.sha256 <> excluded.sha256`,
        [imageKey(f.name), sha256],
      );
    }
    await pool.query("UPDATE upload_files SET published_at = now() WHERE id = $1", [f.id]);
  }
  return result;
}

/** Paths no product names any more, then contents no path maps to. */
export async function pruneUnreferencedImages(pool: pg.Pool): Promise<number> {
  await pool.query(
    `DELETE FROM image_paths ip WHERE NOT EXISTS (
       SELECT 1 FROM (SELECT DISTINCT unnest(images) AS path FROM products) p
       WHERE p.path = ip.path
          OR substring(p.path FROM position('import_files/' IN p.path)) = ip.path)`,
  );
  const r = await pool.query(
    `DELETE FROM images i WHERE NOT EXISTS (SELECT 1 FROM image_paths p WHERE p.sha256 = i.sha256)`,
  );
  return r.rowCount ?? 0;
}

export async function findImage(
  pool: pg.Pool,
  path: string,
): Promise<{ sha256: string; content_type: string; data: Uint8Array } | undefined> {
  const r = await pool.query(
    `SELECT i.sha256, i.content_type, i.data FROM image_paths p JOIN images i USING (sha256)
     WHERE p.path = $1`,
    [imageKey(path)],
  );
  return r.rows[0];
}
