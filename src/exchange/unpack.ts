/**
 * Zip archives 1C uploads (`zip=yes`: one `v8_XXXX_NN.zip`, maybe in fragments) are unpacked
 * on the worker side, into sibling upload files, before the first import of the session.
 * Bitrix unpacks only the last uploaded archive; we unpack every archive not yet unpacked.
 * The whole archive is validated first and refused as a whole: nothing from a bad archive
 * becomes importable.
 */
import type { AppContext } from "../context.ts";
import { listUploads, uploadRandomAccess, writeUpload } from "./uploads.ts";
import { openZip, type ZipLimits } from "./zip.ts";
import { sql } from "kysely";

export async function unpackSessionZips(
  ctx: AppContext,
  sessionId: string,
  onProgress?: (message: string) => Promise<void>,
): Promise<number> {
  const limits: ZipLimits = {
    maxTotalBytes: ctx.config.import.zipMaxTotalBytes,
    maxRatio: ctx.config.import.zipMaxRatio,
    maxEntries: 100_000,
  };
  const uploads = await listUploads(ctx.db, sessionId);
  let unpacked = 0;
  for (const u of uploads) {
    if (u.origin !== "upload" || u.unpacked_at || !u.name.toLowerCase().endsWith(".zip")) continue;
    await onProgress?.(`unpacking ${u.name}`);
    const src = uploadRandomAccess(ctx.pool, u.id, Number(u.size));
    const archive = await openZip(src, limits); // validates every entry before any is unpacked
    const written: string[] = [];
    try {
      for (const e of archive.entries) {
        if (e.directory) continue;
        await writeUpload(ctx.db, sessionId, e.name, archive.read(e.name), "zip");
        written.push(e.name);
      }
    } catch (err) {
      // Refuse the whole archive: what was already unpacked from it goes too.
      if (written.length) {
        await ctx.db.deleteFrom("upload_files").where("session_id", "=", sessionId)
          .where("origin", "=", "zip").where("name", "in", written).execute();
      }
      throw err;
    }
    await ctx.db.updateTable("upload_files").set({ unpacked_at: sql`now()` })
      .where("id", "=", u.id).execute();
    unpacked++;
  }
  return unpacked;
}
