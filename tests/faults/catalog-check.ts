/**
 * "The catalog equals a clean import": a digest of everything the catalog holds, and the same
 * file imported straight into a fresh database (no protocol, no queue, no fault) to compare
 * it with.
 */
import pg from "pg";
import type { Kysely } from "kysely";
import { importStream } from "../../src/catalog/import-stream.ts";
import { readFileChunks } from "../../src/exchange/local-file.ts";
import { createDb, createPool } from "../../db/pool.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";

export interface CatalogDigest {
  products: number;
  inactive: number;
  groups: number;
  digest: string;
}

/** Everything the catalog holds, as one digest. */
export async function catalogDigest(url: string): Promise<CatalogDigest> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT (SELECT count(*) FROM products)::int AS products,
         (SELECT count(*) FROM products WHERE NOT is_active)::int AS inactive,
         (SELECT count(*) FROM groups)::int AS groups,
         (SELECT md5(string_agg(onec_id || '|' || name || '|' || coalesce(sku, '') || '|' ||
            array_to_string(group_ids, ',') || '|' || hash, ',' ORDER BY onec_id)) FROM products) AS digest`,
    );
    return r.rows[0];
  } finally {
    await c.end();
  }
}

/** The digest of `path` imported once into a fresh database (dropped afterwards). */
export async function cleanImportDigest(path: string, name: string): Promise<CatalogDigest> {
  const url = await createTestDatabase(name);
  try {
    const pool = createPool(url, 2);
    const db = createDb(pool);
    try {
      await migrateToLatest(db as unknown as Kysely<unknown>);
      const conn = await pool.connect();
      try {
        await importStream({
          client: conn,
          source: readFileChunks(path),
          runId: "1",
          batchSize: 1000,
          threaded: false,
        });
      } finally {
        conn.release();
      }
    } finally {
      await db.destroy();
    }
    return await catalogDigest(url);
  } finally {
    await dropTestDatabase(url);
  }
}
