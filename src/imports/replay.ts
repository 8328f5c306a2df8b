/**
 * Manual runs over a kept exchange's files (POST /api/v1/imports): the same job, the same
 * dependency rule and the same one-at-a-time lock as 1C's own exchange.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";
import { IMPORT_KINDS, type ImportKind, type ImportRun, requestImport } from "./import-runs.ts";

export type ReplayResult =
  | { ok: true; runs: ImportRun[] }
  | { ok: false; status: 404 | 409 | 422; detail: string; runningRunId?: number };

export async function replayExchange(
  ctx: AppContext,
  opts: { exchangeId: string; kind: ImportKind; requestId: string | null },
): Promise<ReplayResult> {
  const busy = await ctx.db.selectFrom("import_runs").select(["id", "file_name"])
    .where("status", "in", ["queued", "running"]).orderBy("id").executeTakeFirst();
  if (busy) {
    return {
      ok: false,
      status: 409,
      detail: `import already running: run ${busy.id} (${busy.file_name})`,
      runningRunId: Number(busy.id),
    };
  }
  const files = await ctx.db.selectFrom("upload_files").select("name")
    .where("session_id", "=", opts.exchangeId).execute();
  if (files.length === 0) {
    return {
      ok: false,
      status: 404,
      detail:
        `exchange ${opts.exchangeId} has no kept files (unknown, or older than the kept ones)`,
    };
  }
  const kept = new Set(files.map((f) => f.name));
  // Which file holds what is known from the runs 1C asked for (decided from content).
  const accepted: readonly string[] = IMPORT_KINDS[opts.kind];
  const earlier = await ctx.db.selectFrom("import_runs").select(["file_name", "kind"])
    .where("session_id", "=", opts.exchangeId).where("kind", "is not", null)
    .orderBy("id").execute();
  const names: string[] = [];
  for (const r of earlier) {
    if (!accepted.includes(r.kind!) || names.includes(r.file_name)) continue;
    if (kept.has(r.file_name) || [...kept].some((k) => k.endsWith(`/${r.file_name}`))) {
      names.push(r.file_name);
    }
  }
  if (names.length === 0) {
    return {
      ok: false,
      status: 422,
      detail: `no kept file of exchange ${opts.exchangeId} holds ${opts.kind} data`,
    };
  }
  // A new generation for the session, keeping its files (unlike mode=init).
  const { generation } = await ctx.db.updateTable("exchange_sessions")
    .set({ generation: sql`generation + 1` }).where("id", "=", opts.exchangeId)
    .returning("generation").executeTakeFirstOrThrow();
  const runs: ImportRun[] = [];
  for (const fileName of names) {
    runs.push(
      await requestImport(ctx, {
        sessionId: opts.exchangeId,
        generation,
        fileName,
        requestId: opts.requestId,
        expectedKind: opts.kind,
      }),
    );
  }
  return { ok: true, runs };
}
