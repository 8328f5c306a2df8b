/** `deno task migrate`: apply migrations and exit (Fly's release_command). */
import type { Kysely } from "kysely";
import { loadConfig } from "../config.ts";
import { createDb, createPool } from "../../db/pool.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import { serviceDatabase } from "../../db/embedded.ts";

const config = loadConfig();
const { url, stop } = await serviceDatabase(config);
const db = createDb(createPool(url, 2));
const result = await migrateToLatest(db as unknown as Kysely<unknown>);
for (const r of result.results ?? []) console.log(`${r.status}: ${r.migrationName}`);
if (!result.results?.length) console.log("already up to date");
await db.destroy();
await stop();
