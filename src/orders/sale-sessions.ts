/**
 * Which protocol a sale exchange speaks, decided at `mode=init` (spec §3.2, §3.5):
 *   "Old protocol (no `version` in `init`): save, unzip if needed, import immediately,
 *    answer `success`… New protocol (`version` was given): save/append and answer
 *    `success\n`; the actual import follows through `mode=import`."
 * Kept in Postgres: 1C's next request may reach another instance.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";

/**
 * The CommerceML version we answer and generate with the new protocol. Bitrix "always
 * answers `version=2.09`" (spec §3.2), and 1C clients are tested against it; our documents
 * follow the same 2.0x order vocabulary.
 */
export const SITE_SALE_VERSION = "2.09";
/** The ВерсияСхемы of documents for clients that gave no version (Bitrix writes 2.05). */
export const OLD_PROTOCOL_SCHEMA_VERSION = "2.05";

export async function setSaleVersion(
  db: Db,
  sessionId: string,
  version: string | null,
): Promise<void> {
  await sql`
    INSERT INTO sale_exchange_sessions (session_id, version) VALUES (${sessionId}, ${version})
    ON CONFLICT (session_id) DO UPDATE SET version = excluded.version
  `.execute(db);
}

/** The version 1C gave at init; null for the old protocol (or no init at all). */
export async function saleVersion(db: Db, sessionId: string): Promise<string | null> {
  const row = await db.selectFrom("sale_exchange_sessions").select("version")
    .where("session_id", "=", sessionId).executeTakeFirst();
  return row?.version ?? null;
}
