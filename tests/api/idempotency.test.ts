/**
 * Idempotency-Key on every API write (issue 7), through the real app on a real database:
 * replays are the first answer byte for byte and do not run the work again (checked in the
 * tables), another body or route is a 422, a concurrent duplicate is a 409 or a replay, a
 * refused request does not burn its key, keys expire after 24 h, a crashed request's claim is
 * taken over, and each API token has its own keys. POST /orders keeps its transactional path.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { type Role, TOKENS } from "../customers/helpers.ts";

const SECOND_PLATFORM_TOKEN = "second-platform-client-token";
import { seedCatalog, simpleOrder } from "../orders/helpers.ts";

interface Call {
  role?: Role;
  key?: string;
  headers?: Record<string, string>;
}

async function call(
  h: Harness,
  method: string,
  path: string,
  body: unknown,
  opts: Call = {},
): Promise<{ res: Response; text: string }> {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${TOKENS[opts.role ?? "platform"]}`,
    ...opts.headers,
  };
  if (opts.key !== undefined) headers["Idempotency-Key"] = opts.key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await h.app.request(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { res, text: await res.text() };
}

const replayed = (res: Response) => res.headers.get("idempotent-replayed");

async function one<T>(h: Harness, query: ReturnType<typeof sql<T>>): Promise<T> {
  return (await query.execute(h.ctx.db)).rows[0];
}

async function customersWithEmail(h: Harness, email: string): Promise<number> {
  return (await one(
    h,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM customers WHERE lower(email) = ${email}`,
  )).n;
}

const person = (email: string, firstName = "Анна") => ({
  email,
  customerType: "individual",
  firstName,
});

Deno.test({
  name: "Idempotency-Key on every write",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // No worker runs here: exports and stock syncs stay queued (a second stock sync of the
    // same kind is then a 409). The Ozon address is never called.
    const h = await createHarness("api-idempotency", {
      workers: false,
      env: {
        OZON_CLIENT_ID: "1001",
        OZON_API_KEY: "test-ozon-key",
        OZON_BASE_URL: "http://127.0.0.1:9",
        // Two clients with the platform role, each with its own token.
        API_TOKENS: `admin:${TOKENS.admin},platform:${TOKENS.platform},reader:${TOKENS.reader},` +
          `platform:${SECOND_PLATFORM_TOKEN}`,
      },
    });
    try {
      await t.step(
        "POST /customers: the replay is the first answer and creates nothing",
        async () => {
          const body = person("replay@example.com");
          const first = await call(h, "POST", "/customers", body, { key: "cust-1" });
          assertEquals(first.res.status, 201, first.text);
          assertEquals(replayed(first.res), null);
          // The same body with its keys in another order is the same request.
          const again = await call(h, "POST", "/customers", {
            firstName: body.firstName,
            customerType: body.customerType,
            email: body.email,
          }, { key: "cust-1", headers: { "X-Request-Id": "retry-of-cust-1" } });
          assertEquals(again.res.status, 201);
          assertEquals(replayed(again.res), "true");
          assertEquals(again.text, first.text, "byte for byte");
          assertEquals(
            again.res.headers.get("content-type"),
            first.res.headers.get("content-type"),
          );
          assertEquals(again.res.headers.get("x-request-id"), "retry-of-cust-1");
          assertEquals(await customersWithEmail(h, "replay@example.com"), 1);
          const exports = await one(
            h,
            sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job
            WHERE name LIKE 'customer%' AND data->>'customerId' = ${JSON.parse(first.text).id}`,
          );
          assertEquals(exports.n, 1, "one export queued");
          // Without the key, the retry runs and finds the email taken.
          assertEquals((await call(h, "POST", "/customers", body)).res.status, 409);
        },
      );

      await t.step("another body, or another route, with the same key is a 422", async () => {
        const other = await call(h, "POST", "/customers", person("other@example.com"), {
          key: "cust-1",
        });
        assertEquals(other.res.status, 422);
        assertEquals(other.res.headers.get("content-type"), "application/problem+json");
        assertMatch(JSON.parse(other.text).detail, /cust-1 was already used with a different/);
        const elsewhere = await call(h, "POST", "/stock-syncs", { source: "ozon" }, {
          role: "admin",
          key: "cust-1",
        });
        // Another role: its own keys, so this one is free for admin and runs.
        assertEquals(elsewhere.res.status, 202, elsewhere.text);
        const sameCaller = await call(h, "PATCH", "/customers/" + crypto.randomUUID(), {
          firstName: "Б",
        }, { key: "cust-1" });
        assertEquals(sameCaller.res.status, 422, "the platform's cust-1 is a POST /customers");
        assertEquals(await customersWithEmail(h, "other@example.com"), 0);
      });

      await t.step("PATCH /customers/{id}: a replay does not write again", async () => {
        const created = await call(h, "POST", "/customers", person("patch@example.com"));
        const id = JSON.parse(created.text).id;
        const first = await call(h, "PATCH", `/customers/${id}`, { firstName: "Мария" }, {
          key: "patch-1",
        });
        assertEquals(first.res.status, 200, first.text);
        // Someone changes the customer meanwhile; a replay must not undo that.
        await sql`UPDATE customers SET first_name = 'Ольга' WHERE id = ${id}`.execute(h.ctx.db);
        const again = await call(h, "PATCH", `/customers/${id}`, { firstName: "Мария" }, {
          key: "patch-1",
        });
        assertEquals([again.res.status, replayed(again.res)], [200, "true"]);
        assertEquals(again.text, first.text);
        const row = await one(
          h,
          sql<{ first_name: string }>`SELECT first_name FROM customers WHERE id = ${id}`,
        );
        assertEquals(row.first_name, "Ольга");
      });

      await t.step("keys expire after 24 h: the same request runs again", async () => {
        const id = JSON.parse(
          (await call(h, "GET", "/customers?email=patch@example.com", undefined))
            .text,
        ).items[0].id;
        await sql`UPDATE idempotency_keys SET created_at = now() - interval '25 hours'
          WHERE key = 'patch-1'`.execute(h.ctx.db);
        const fresh = await call(h, "PATCH", `/customers/${id}`, { firstName: "Мария" }, {
          key: "patch-1",
        });
        assertEquals([fresh.res.status, replayed(fresh.res)], [200, null]);
        assertEquals(JSON.parse(fresh.text).firstName, "Мария");
      });

      await t.step("a refused request (400, 403, 404) does not burn its key", async () => {
        const key = "cust-refused";
        const invalid = await call(h, "POST", "/customers", { email: "bad" }, { key });
        assertEquals(invalid.res.status, 400);
        const denied = await call(h, "POST", "/customers", person("fixed@example.com"), {
          key,
          role: "reader",
        });
        assertEquals(denied.res.status, 403);
        const fixed = await call(h, "POST", "/customers", person("fixed@example.com"), { key });
        assertEquals([fixed.res.status, replayed(fixed.res)], [201, null], fixed.text);
        const missing = await call(h, "POST", "/imports", {
          exchangeId: "no-such-exchange",
          kind: "catalog",
        }, { role: "admin", key: "import-1" });
        assertEquals(missing.res.status, 404, missing.text);
        const rows = await one(
          h,
          sql<{ n: number }>`SELECT count(*)::int AS n FROM idempotency_keys
            WHERE key IN ('import-1') OR response_status IS NULL`,
        );
        assertEquals(rows.n, 0, "nothing pending, nothing kept for the 404");
      });

      await t.step("POST /stock-syncs: one run, replayed; without the key a 409", async () => {
        await sql`DELETE FROM stock_sync_runs`.execute(h.ctx.db);
        const first = await call(h, "POST", "/stock-syncs", { source: "ozon", kind: "push" }, {
          role: "admin",
          key: "sync-1",
        });
        assertEquals(first.res.status, 202, first.text);
        const again = await call(h, "POST", "/stock-syncs", { source: "ozon", kind: "push" }, {
          role: "admin",
          key: "sync-1",
        });
        assertEquals([again.res.status, replayed(again.res), again.text], [
          202,
          "true",
          first.text,
        ]);
        const runs = await one(
          h,
          sql<{ n: number }>`SELECT count(*)::int AS n FROM stock_sync_runs WHERE kind = 'push'`,
        );
        assertEquals(runs.n, 1);
        const plain = await call(h, "POST", "/stock-syncs", { source: "ozon", kind: "push" }, {
          role: "admin",
        });
        assertEquals(plain.res.status, 409);
      });

      await t.step("PUT and DELETE of marketplace mappings replay too", async () => {
        const path = "/marketplace-warehouse-mappings/ozon/555";
        const body = { onecWarehouseIds: ["wh-1", "wh-2"] };
        const first = await call(h, "PUT", path, body, { role: "admin", key: "map-1" });
        assertEquals(first.res.status, 200, first.text);
        await sql`DELETE FROM marketplace_warehouse_mappings`.execute(h.ctx.db);
        const again = await call(h, "PUT", path, body, { role: "admin", key: "map-1" });
        assertEquals([again.res.status, replayed(again.res), again.text], [
          200,
          "true",
          first.text,
        ]);
        const rows = await one(
          h,
          sql<{ n: number }>`SELECT count(*)::int AS n FROM marketplace_warehouse_mappings`,
        );
        assertEquals(rows.n, 0, "the replay did not write the mapping again");

        await call(h, "PUT", "/marketplace-article-mappings/ozon", {
          items: [{ article: "A-1", marketplaceId: "oz-1" }],
        }, { role: "admin" });
        const del = await call(h, "DELETE", "/marketplace-article-mappings/ozon/A-1", undefined, {
          role: "admin",
          key: "del-1",
        });
        assertEquals([del.res.status, del.text], [204, ""]);
        const delAgain = await call(
          h,
          "DELETE",
          "/marketplace-article-mappings/ozon/A-1",
          undefined,
          { role: "admin", key: "del-1" },
        );
        assertEquals([delAgain.res.status, replayed(delAgain.res), delAgain.text], [
          204,
          "true",
          "",
        ]);
      });

      await t.step(
        "concurrent requests with one key: one runs, the rest 409 or replay",
        async () => {
          const body = person("race@example.com");
          const answers = await Promise.all(
            Array.from({ length: 6 }, () => call(h, "POST", "/customers", body, { key: "race-1" })),
          );
          const fresh = answers.filter((a) => a.res.status === 201 && !replayed(a.res));
          assertEquals(fresh.length, 1, answers.map((a) => a.res.status).join(","));
          for (const a of answers) {
            if (a === fresh[0]) continue;
            if (a.res.status === 409) {
              assertEquals(a.res.headers.get("retry-after"), "1");
              assertMatch(JSON.parse(a.text).detail, /still in progress/);
            } else {
              assertEquals([a.res.status, replayed(a.res), a.text], [201, "true", fresh[0].text]);
            }
          }
          assertEquals(await customersWithEmail(h, "race@example.com"), 1);
        },
      );

      await t.step("a claim left by a crashed request is taken over after a while", async () => {
        const body = person("crash@example.com");
        const first = await call(h, "POST", "/customers", body, { key: "crash-1" });
        assertEquals(first.res.status, 201);
        // As if the request had claimed the key and its instance had died before answering.
        await sql`DELETE FROM customers WHERE lower(email) = 'crash@example.com'`.execute(h.ctx.db);
        await sql`UPDATE idempotency_keys SET response_status = NULL, response_text = NULL,
          claim = gen_random_uuid() WHERE key = 'crash-1'`.execute(h.ctx.db);
        const waiting = await call(h, "POST", "/customers", body, { key: "crash-1" });
        assertEquals(waiting.res.status, 409, "a recent claim: still running");
        await sql`UPDATE idempotency_keys SET created_at = now() - interval '6 minutes'
          WHERE key = 'crash-1'`.execute(h.ctx.db);
        const taken = await call(h, "POST", "/customers", body, { key: "crash-1" });
        assertEquals([taken.res.status, replayed(taken.res)], [201, null], taken.text);
        assertEquals(await customersWithEmail(h, "crash@example.com"), 1);
      });

      await t.step(
        "keys are per token: another client of the same role never gets this one's answer",
        async () => {
          const body = person("second-client@example.com");
          const first = await call(h, "POST", "/customers", body, { key: "client-key" });
          assertEquals(first.res.status, 201, first.text);
          const res = await h.app.request("/api/v1/customers", {
            method: "POST",
            headers: {
              Authorization: `Bearer ${SECOND_PLATFORM_TOKEN}`,
              "Content-Type": "application/json",
              "Idempotency-Key": "client-key",
            },
            body: JSON.stringify(body),
          });
          // Not a replay: the second client's request runs (and finds the email taken).
          assertEquals([res.status, res.headers.get("Idempotent-Replayed")], [409, null]);
          const keys = await h.ctx.db.selectFrom("idempotency_keys").select("scope")
            .where("key", "=", "client-key").execute();
          assertEquals(keys.length, 1, "only the 2xx of the first client is stored");
          assert(!keys[0].scope.includes(TOKENS.platform), "the scope does not hold the token");
        },
      );

      await t.step("another role's key never replays", async () => {
        const body = person("scoped@example.com");
        const platform = await call(h, "POST", "/customers", body, { key: "shared-key" });
        assertEquals(platform.res.status, 201);
        // Same key and body from admin: not the platform's answer; it runs (email taken).
        const admin = await call(h, "POST", "/customers", body, {
          role: "admin",
          key: "shared-key",
        });
        assertEquals([admin.res.status, replayed(admin.res)], [409, null]);
        // And admin's own request under that key is not a 422.
        const own = await call(h, "POST", "/customers", person("scoped-admin@example.com"), {
          role: "admin",
          key: "shared-key",
        });
        assertEquals(own.res.status, 201, own.text);
      });

      await t.step("a malformed key is a 400", async () => {
        for (const key of ["", "x".repeat(256)]) {
          const r = await call(h, "POST", "/customers", person("k@example.com"), { key });
          assertEquals(r.res.status, 400, `key of ${key.length} characters`);
          assertMatch(JSON.parse(r.text).detail, /Idempotency-Key must be 1 to 255/);
        }
        const ok = await call(h, "POST", "/customers", person("k@example.com"), {
          key: "x".repeat(255),
        });
        assertEquals(ok.res.status, 201);
      });

      await t.step("POST /orders keeps its transaction, in the same key space", async () => {
        await seedCatalog(h);
        const count = async () =>
          (await one(h, sql<{ n: number }>`SELECT count(*)::int AS n FROM orders`)).n;
        const first = await call(h, "POST", "/orders", simpleOrder(), { key: "order-1" });
        assertEquals(first.res.status, 201, first.text);
        const again = await call(h, "POST", "/orders", simpleOrder(), { key: "order-1" });
        assertEquals([again.res.status, replayed(again.res)], [201, "true"]);
        assertEquals(JSON.parse(again.text).id, JSON.parse(first.text).id);
        assertEquals(await count(), 1);
        const onCustomers = await call(h, "POST", "/customers", person("o@example.com"), {
          key: "order-1",
        });
        assertEquals(onCustomers.res.status, 422);
        const bad = await call(h, "POST", "/orders", simpleOrder(), { key: "" });
        assertEquals(bad.res.status, 400);
        const row = await one(
          h,
          sql<{ scope: string; claim: string | null }>`SELECT scope, claim FROM idempotency_keys
            WHERE key = 'order-1'`,
        );
        assertMatch(row.scope, /^token:platform:[0-9a-f]{16}$/);
        assertEquals(row.claim, null);
      });

      await t.step("the streamed counterparty import ignores the key", async () => {
        const xml = `<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация ВерсияСхемы="2.08"><Контрагенты/></КоммерческаяИнформация>`;
        const post = () =>
          h.app.request("/api/v1/customers/imports", {
            method: "POST",
            headers: {
              Authorization: `Bearer ${TOKENS.admin}`,
              "Content-Type": "application/xml",
              "Idempotency-Key": "import-file-1",
            },
            body: xml,
          });
        const a = await post();
        const b = await post();
        assertEquals([a.status, b.status], [202, 202]);
        assertEquals(replayed(b), null);
        assert((await a.json()).id !== (await b.json()).id, "two runs");
      });

      await t.step("the OpenAPI document shows the key on every write", async () => {
        const doc = await (await h.app.request("/openapi.json")).json();
        let writes = 0;
        for (const [path, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
          for (const [method, op] of Object.entries(item)) {
            if (!["post", "put", "patch", "delete"].includes(method)) continue;
            const where = `${method} ${path}`;
            const header = op.parameters?.find((p) => p.name === "idempotency-key");
            if (path === "/api/v1/customers/imports") {
              assertEquals(header, undefined, where);
              assertMatch(op.description ?? "", /Idempotency-Key` is ignored/);
              continue;
            }
            writes++;
            assertEquals(header?.in, "header", where);
            assertEquals(header?.schema?.maxLength, 255, where);
            for (const code of ["409", "422"]) {
              assertEquals(
                op.responses[code]?.content?.["application/problem+json"]?.schema?.$ref,
                "#/components/schemas/Problem",
                `${where} ${code}`,
              );
              assertMatch(op.responses[code].description, /Idempotency-Key/, `${where} ${code}`);
            }
            const ok = Object.keys(op.responses).find((c) => /^2/.test(c))!;
            assert(op.responses[ok].headers?.["Idempotent-Replayed"], `${where} ${ok}`);
          }
        }
        assert(writes >= 12, `${writes} writes documented`);
      });
    } finally {
      await h.close();
    }
  },
});

interface Operation {
  description?: string;
  parameters?: { name: string; in: string; schema?: { maxLength?: number } }[];
  responses: Record<string, {
    description: string;
    headers?: Record<string, unknown>;
    content?: Record<string, { schema?: { $ref?: string } }>;
  }>;
}
