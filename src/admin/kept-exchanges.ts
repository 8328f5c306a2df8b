/**
 * The exchanges whose raw files are still kept (EXCHANGE_KEEP), newest first: what the
 * "Start an import" form offers to import again.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";
import { formatBytes, formatTime } from "./format.ts";

export interface KeptFile {
  name: string;
  size: string;
}

export interface KeptExchange {
  id: string;
  created: string;
  clientIp: string;
  /** The data files (XML, zip); pictures are only counted. */
  files: KeptFile[];
  pictures: number;
  /** What the exchange's files turned out to hold, from the runs 1C asked for. */
  kinds: string[];
}

const PICTURE = /^import_files\/|\.(jpe?g|png|gif|webp|bmp|svg)$/i;

export async function keptExchanges(ctx: AppContext, limit = 20): Promise<KeptExchange[]> {
  const sessions = await ctx.db.selectFrom("exchange_sessions as s")
    .select(["s.id", "s.created_at", "s.client_ip"])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("upload_files as f").select(sql`1`.as("one")).whereRef(
          "f.session_id",
          "=",
          "s.id",
        ),
      )
    )
    .orderBy("s.created_at", "desc").orderBy("s.id").limit(limit).execute();
  if (sessions.length === 0) return [];
  const ids = sessions.map((s) => s.id);
  const files = await ctx.db.selectFrom("upload_files").select(["session_id", "name", "size"])
    .where("session_id", "in", ids).orderBy("name").execute();
  const kinds = await ctx.db.selectFrom("import_runs").select(["session_id", "kind"])
    .distinct().where("session_id", "in", ids).where("kind", "is not", null).execute();
  return sessions.map((s) => {
    const own = files.filter((f) => f.session_id === s.id);
    return {
      id: s.id,
      created: formatTime(s.created_at),
      clientIp: s.client_ip ?? "",
      files: own.filter((f) => !PICTURE.test(f.name))
        .map((f) => ({ name: f.name, size: formatBytes(Number(f.size)) })),
      pictures: own.filter((f) => PICTURE.test(f.name)).length,
      kinds: kinds.filter((k) => k.session_id === s.id).map((k) => k.kind!).sort(),
    };
  });
}
