/**
 * Kysely migrations, applied at start and by `deno task migrate`. Migrations are imported
 * statically so that the compiled/deployed service does not depend on reading a folder.
 */
import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationResultSet, Migrator } from "kysely/migration";
import * as m001 from "./migrations/001-catalog.ts";
import * as m002 from "./migrations/002-orders.ts";
import * as m003 from "./migrations/003-customers.ts";
import * as m004 from "./migrations/004-marketplaces.ts";
import * as m005 from "./migrations/005-platform-pricing.ts";
import * as m006 from "./migrations/006-integration-log.ts";
import * as m007 from "./migrations/007-idempotency.ts";

export const migrations: Record<string, Migration> = {
  "001-catalog": m001,
  "002-orders": m002,
  "003-customers": m003,
  "004-marketplaces": m004,
  "005-platform-pricing": m005,
  "006-integration-log": m006,
  "007-idempotency": m007,
};

export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

/** True when every migration this build knows has been applied. */
// deno-lint-ignore no-explicit-any
export async function migrationsApplied(db: Kysely<any>): Promise<boolean> {
  try {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM kysely_migration
      WHERE name = ANY(${Object.keys(migrations)})`.execute(db);
    return Number(r.rows[0]?.n) === Object.keys(migrations).length;
  } catch {
    return false;
  }
}
