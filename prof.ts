import pg from "pg";
import { importStream } from "./src/catalog/import-stream.ts";
import { createDb, createPool } from "./db/pool.ts";
import { migrateToLatest } from "./db/migrate.ts";
const [path, threaded, dbname] = Deno.args;
const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`); await admin.query(`CREATE DATABASE ${dbname}`);
const pool = createPool(`postgres://postgres@127.0.0.1:5432/${dbname}`);
await migrateToLatest(createDb(pool) as never);
async function* readFile(p: string) { using f = await Deno.open(p); const buf = new Uint8Array(64*1024); while (true) { const n = await f.read(buf); if (n === null) return; yield buf.slice(0, n); } }
// time queries
const client = await pool.connect();
const orig = client.query.bind(client);
const times: Record<string, number> = {};
(client as any).query = async (...a: any[]) => { const t = performance.now(); const r = await orig(...a); const k = String(a[0]).slice(0, 60).replace(/\s+/g, " "); times[k] = (times[k] ?? 0) + performance.now() - t; return r; };
let peak = 0; const iv = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
for (const p of path.split(",")) {
const t = performance.now();
const r = await importStream({ client, source: readFile(p), runId: "1", batchSize: 2000, threaded: threaded === "1" });
console.log(p, ((performance.now() - t) / 1000).toFixed(2), "s", JSON.stringify(r.counts).slice(0, 200));
}
clearInterval(iv);
for (const [k, v] of Object.entries(times)) console.log(v.toFixed(0).padStart(6), "ms", k);
console.log("peak", (peak / 1048576).toFixed(0));
client.release(); await pool.end(); await admin.end();
