/**
 * The mappings a push needs, managed through the API: which 1C warehouses feed a marketplace
 * warehouse, and which marketplace item (Ozon offer_id, WB chrtId) a 1C article is where the
 * two differ.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";

export interface WarehouseMapping {
  source: MarketplaceSource;
  marketplaceWarehouseId: string;
  onecWarehouseIds: string[];
}

export async function listWarehouseMappings(
  db: Db,
  source?: MarketplaceSource,
): Promise<WarehouseMapping[]> {
  let q = db.selectFrom("marketplace_warehouse_mappings")
    .select([
      "source",
      "marketplace_warehouse_id",
      sql<string[]>`array_agg(onec_warehouse_id ORDER BY onec_warehouse_id)`.as("onec"),
    ])
    .groupBy(["source", "marketplace_warehouse_id"]);
  if (source) q = q.where("source", "=", source);
  const rows = await q.orderBy("source").orderBy("marketplace_warehouse_id").execute();
  return rows.map((r) => ({
    source: r.source,
    marketplaceWarehouseId: r.marketplace_warehouse_id,
    onecWarehouseIds: r.onec,
  }));
}

/** Replaces the 1C warehouses of one marketplace warehouse; an empty list removes it. */
export async function setWarehouseMapping(db: Db, m: WarehouseMapping): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom("marketplace_warehouse_mappings")
      .where("source", "=", m.source)
      .where("marketplace_warehouse_id", "=", m.marketplaceWarehouseId).execute();
    const ids = [...new Set(m.onecWarehouseIds)];
    if (ids.length === 0) return;
    await tx.insertInto("marketplace_warehouse_mappings").values(ids.map((id) => ({
      source: m.source,
      marketplace_warehouse_id: m.marketplaceWarehouseId,
      onec_warehouse_id: id,
    }))).execute();
  });
}

export interface ArticleMapping {
  source: MarketplaceSource;
  article: string;
  marketplaceId: string;
}

export async function listArticleMappings(
  db: Db,
  f: { source?: MarketplaceSource; article?: string },
  limit: number,
  after?: { s: string; a: string },
): Promise<{ items: ArticleMapping[]; next: { s: string; a: string } | null }> {
  let q = db.selectFrom("marketplace_article_mappings").select([
    "source",
    "article",
    "marketplace_id",
  ]);
  if (f.source) q = q.where("source", "=", f.source);
  if (f.article) q = q.where("article", "=", f.article);
  if (after) q = q.where(sql<boolean>`(source, article) > (${after.s}, ${after.a})`);
  const rows = await q.orderBy("source").orderBy("article").limit(limit + 1).execute();
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => ({
      source: r.source,
      article: r.article,
      marketplaceId: r.marketplace_id,
    })),
    next: rows.length > limit && last ? { s: last.source, a: last.article } : null,
  };
}

export class MappingConflictError extends Error {}

/**
 * Upserts article mappings. A marketplace item maps from one article only; a second article
 * claiming it is refused (two 1C stocks would fight over one marketplace quantity).
 */
export async function upsertArticleMappings(
  db: Db,
  source: MarketplaceSource,
  items: { article: string; marketplaceId: string }[],
): Promise<void> {
  const seen = new Map<string, string>();
  for (const i of items) {
    const other = seen.get(i.marketplaceId);
    if (other !== undefined && other !== i.article) {
      throw new MappingConflictError(
        `${i.marketplaceId} is given for both "${other}" and "${i.article}"`,
      );
    }
    seen.set(i.marketplaceId, i.article);
  }
  await db.transaction().execute(async (tx) => {
    const taken = await tx.selectFrom("marketplace_article_mappings")
      .select(["article", "marketplace_id"])
      .where("source", "=", source)
      .where("marketplace_id", "in", items.map((i) => i.marketplaceId))
      .execute();
    const articles = new Set(items.map((i) => i.article));
    for (const t of taken) {
      if (seen.get(t.marketplace_id) !== t.article && !articles.has(t.article)) {
        throw new MappingConflictError(
          `${t.marketplace_id} is already mapped from "${t.article}"; delete that mapping first`,
        );
      }
    }
    // Articles being remapped release their old marketplace id first (unique per source).
    await tx.deleteFrom("marketplace_article_mappings").where("source", "=", source)
      .where("article", "in", [...articles]).execute();
    await tx.insertInto("marketplace_article_mappings").values(items.map((i) => ({
      source,
      article: i.article,
      marketplace_id: i.marketplaceId,
    }))).execute();
  });
}

export async function deleteArticleMapping(
  db: Db,
  source: MarketplaceSource,
  article: string,
): Promise<boolean> {
  const r = await db.deleteFrom("marketplace_article_mappings")
    .where("source", "=", source).where("article", "=", article).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
