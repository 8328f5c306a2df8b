/**
 * Exchange sessions live in Postgres, not in process memory: 1C's next request may reach
 * another instance.
 *
 * checkauth answers (Bitrix catalog shape, accepted by every 1C client):
 *   success\n<cookie name>\n<cookie value>\nsessid=<token>\ntimestamp=<unix>
 * Later requests carry `Cookie: <name>=<value>` and, from newer clients, `&sessid=<token>`.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { ExchangeSessionTable } from "../../db/schema.ts";
import type { Selectable } from "kysely";

export const SESSION_COOKIE = "ONEC_EXCHANGE_SESSION";

export type ExchangeSession = Selectable<ExchangeSessionTable>;

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export async function createSession(
  db: Db,
  opts: { type: string; clientIp: string | null; ttlSeconds: number },
): Promise<ExchangeSession> {
  const now = Math.floor(Date.now() / 1000);
  return await db.insertInto("exchange_sessions").values({
    id: randomHex(16),
    token: randomHex(16),
    type: opts.type,
    client_ip: opts.clientIp,
    expires_at: new Date((now + opts.ttlSeconds) * 1000),
    started_unix: now,
  }).returningAll().executeTakeFirstOrThrow();
}

/**
 * The live session named by the cookie or by sessid (either is enough: 1C versions differ in
 * what they send back). Touching it slides the expiry.
 */
export async function findLiveSession(
  db: Db,
  keys: { cookie?: string; sessid?: string },
  ttlSeconds: number,
): Promise<ExchangeSession | undefined> {
  if (!keys.cookie && !keys.sessid) return undefined;
  return await db.updateTable("exchange_sessions")
    .set({
      last_seen_at: sql`now()`,
      expires_at: sql`now() + make_interval(secs => ${ttlSeconds})`,
    })
    .where((eb) =>
      eb.or([
        ...(keys.cookie ? [eb("id", "=", keys.cookie)] : []),
        ...(keys.sessid ? [eb("token", "=", keys.sessid)] : []),
      ])
    )
    .where("closed_at", "is", null)
    .where("expires_at", ">", sql<Date>`now()`)
    .returningAll()
    .executeTakeFirst();
}

/** mode=init: a new generation; uploads of the earlier one are dropped. */
export async function startGeneration(db: Db, sessionId: string): Promise<number> {
  // One statement (atomic on its own): init is answered while an import may keep Postgres
  // busy, and a transaction of three statements was four round trips.
  const r = await sql<{ generation: number }>`
    WITH cleared AS (DELETE FROM upload_files WHERE session_id = ${sessionId})
    UPDATE exchange_sessions SET generation = generation + 1
    WHERE id = ${sessionId}
    RETURNING generation
  `.execute(db);
  if (!r.rows[0]) throw new Error(`exchange session ${sessionId} does not exist`);
  return r.rows[0].generation;
}

/** mode=complete: the cookie stops working. */
export async function closeSession(db: Db, sessionId: string): Promise<void> {
  await db.updateTable("exchange_sessions").set({ closed_at: sql`now()` })
    .where("id", "=", sessionId).execute();
}
