/**
 * `type=sale&mode=query` under load, for `deno task bench`: a fresh database, a small catalog,
 * N orders (default 1,000; three lines and a delivery each) created the way the API creates
 * them, then 1C's side through the real protocol (checkauth → init → query → success) against
 * the real app. The target: a query with 1,000 pending orders answers in under 2 s.
 */
import pg from "pg";
import { sql } from "kysely";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { openContext } from "../bootstrap.ts";
import { createApp } from "../app.ts";
import { createDatabase } from "../../db/embedded.ts";
import { inProcess, OneCClient } from "../onec/exchange-client.ts";
import { createOrder } from "./order-store.ts";

export interface OrderQueryBench {
  orders: number;
  /** Creating the orders (not part of the target; shown for scale). */
  createSeconds: number;
  /** The mode=query request, answer complete (all bytes received). */
  querySeconds: number;
  bytes: number;
  successSeconds: number;
  /** A second query once everything is confirmed (empty answer). */
  emptyQuerySeconds: number;
}

const PRODUCTS = 50;

export async function benchOrderQuery(opts: {
  /** A PostgreSQL URL whose server may create databases (the bench's own or DATABASE_URL). */
  databaseUrl: string;
  orders?: number;
  /** Keep the bench database afterwards. */
  keep?: boolean;
}): Promise<OrderQueryBench> {
  const n = opts.orders ?? 1000;
  const admin = new URL(opts.databaseUrl);
  admin.pathname = "/postgres";
  const name = `bench_orders_${Date.now()}`;
  await createDatabase(admin.toString(), name);
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: "warn" });
  const ctx = await openContext(config, createLogger("warn"), url.toString(), 10);
  try {
    await sql`
      INSERT INTO products (onec_id, name, sku, hash, base_unit)
      SELECT 'p' || i, 'Товар ' || i, 'SKU-' || i, 'h', '796' FROM generate_series(1, ${PRODUCTS}) i
    `.execute(ctx.db);
    await sql`
      INSERT INTO offers (onec_id, product_id, name, hash)
      SELECT 'p' || i || '#c' || i, 'p' || i, 'Товар ' || i || ' (вариант)', 'h'
      FROM generate_series(1, ${PRODUCTS}) i
    `.execute(ctx.db);

    const t0 = performance.now();
    const one = async (i: number) => {
      const r = await ctx.db.transaction().execute((tx) =>
        createOrder(tx, config.orders, {
          customer: {
            email: `buyer${i}@example.com`,
            firstName: "Иван",
            lastName: `Покупатель ${i}`,
          },
          items: [0, 1, 2].map((k) => ({
            offerId: `p${((i + k * 7) % PRODUCTS) + 1}#c${((i + k * 7) % PRODUCTS) + 1}`,
            quantity: k + 1,
            price: (10_000 + ((i * 37 + k) % 9000)) / 100,
          })),
          currency: "RUB",
          delivery: { method: "Курьер", address: `Москва, ул. Ленина, ${i}`, price: 300 },
          paymentMethod: "Картой на сайте",
          comment: `Заказ №${i}`,
        })
      );
      if (!r.ok) throw new Error(`bench order ${i}: ${r.detail}`);
    };
    for (let i = 0; i < n; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, k) => one(i + k)));
    }
    const createSeconds = (performance.now() - t0) / 1000;

    const app = createApp(ctx);
    const client = new OneCClient(inProcess(app), { type: "sale" });
    await client.checkauth();
    await client.init();
    const t1 = performance.now();
    const answer = await client.call({ mode: "query" });
    const querySeconds = (performance.now() - t1) / 1000;
    const text = new TextDecoder("windows-1251").decode(answer.raw);
    const documents = text.split("<Документ>").length - 1;
    if (documents !== n) throw new Error(`query answered ${documents} documents, expected ${n}`);
    const t2 = performance.now();
    const ok = await client.call({ mode: "success" });
    const successSeconds = (performance.now() - t2) / 1000;
    if (ok.lines[1] !== `${n} order(s) confirmed`) throw new Error(ok.lines.join(" | "));
    const t3 = performance.now();
    await client.call({ mode: "query" });
    const emptyQuerySeconds = (performance.now() - t3) / 1000;
    return {
      orders: n,
      createSeconds,
      querySeconds,
      bytes: answer.raw.length,
      successSeconds,
      emptyQuerySeconds,
    };
  } finally {
    await ctx.close(1000);
    if (!opts.keep) {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    }
  }
}

/** The bench's report line. */
export function formatOrderQueryBench(r: OrderQueryBench): string {
  return [
    `orders: mode=query with ${r.orders} pending orders ${r.querySeconds.toFixed(2)} s ` +
    `(${(r.bytes / 1024 / 1024).toFixed(1)} MB windows-1251; target < 2 s)`,
    `  mode=success ${r.successSeconds.toFixed(2)} s, empty query after it ` +
    `${r.emptyQuerySeconds.toFixed(3)} s; creating the orders took ${r.createSeconds.toFixed(1)} s`,
  ].join("\n");
}

if (import.meta.main) {
  const url = Deno.env.get("DATABASE_URL");
  if (!url) throw new Error("DATABASE_URL is not set");
  console.log(formatOrderQueryBench(await benchOrderQuery({ databaseUrl: url })));
}
