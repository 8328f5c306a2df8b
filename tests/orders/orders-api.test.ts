/**
 * POST/GET/PATCH /api/v1/orders against a real database: totals computed exactly, clear 422s,
 * Idempotency-Key replay and mismatch (also under concurrency), roles, list filters.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import {
  ADMIN,
  api,
  CATALOG,
  createOrder,
  type OrderBody,
  READER,
  seedCatalog,
  simpleOrder,
} from "./helpers.ts";

interface Problem {
  status: number;
  title: string;
  detail: string;
  issues?: { path: string; message: string }[];
}

async function problem(res: Response, status: number): Promise<Problem> {
  assertEquals(res.status, status, await res.clone().text());
  assertEquals(res.headers.get("content-type"), "application/problem+json");
  return await res.json();
}

async function count(h: Harness): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM orders`.execute(h.ctx.db))
    .rows[0].n;
}

Deno.test("orders API", async (t) => {
  const h = await createHarness("orders_api", { workers: false });
  try {
    await seedCatalog(h);

    await t.step("create: 201, Location, totals computed here", async () => {
      const res = await api(h, "POST", "/orders", {
        customer: { email: "a@b.ru", lastName: "Иванов" },
        items: [
          { offerId: CATALOG.tv, quantity: 2, price: 100.25 },
          { offerId: CATALOG.bootsBeige, quantity: 1.5, price: 10.01 },
          { offerId: CATALOG.bag, quantity: 0.001, price: 0.1 },
        ],
        currency: "RUB",
        delivery: { method: "Курьер", address: "Москва", price: 300 },
        paymentMethod: "card",
        comment: "  ",
      });
      assertEquals(res.status, 201);
      const o: OrderBody = await res.json();
      assertEquals(res.headers.get("location"), `/api/v1/orders/${o.id}`);
      assertEquals(o.number, o.id);
      assertEquals(o.status, "new");
      assertEquals(o.version, 1);
      // 200.50 + 15.015→15.02 + 0.0001→0.00
      assertEquals(o.items.map((i) => i.amount), [200.5, 15.02, 0]);
      assertEquals([o.itemsTotal, o.total], [215.52, 515.52]);
      assertEquals(o.items[1].name, "Ботинки женские (35, Бежевый)");
      assertEquals(o.comment, null, "blank text is no text");
      assertEquals([o.exportedAt, o.onecNumber, o.paid, o.shipped, o.cancelled], [
        null,
        null,
        false,
        false,
        false,
      ]);
      const again = await api(h, "GET", `/orders/${o.id}`, undefined, { token: READER });
      assertEquals(await again.json(), o);
    });

    await t.step("a product without offers is ordered by its own Ид", async () => {
      const o = await createOrder(
        h,
        simpleOrder({
          items: [{ offerId: CATALOG.bag, quantity: 1, price: 5 }],
          customerId: "c-1",
          customer: undefined,
        }),
      );
      assertEquals(o.items[0].offerId, CATALOG.bag);
    });

    await t.step("422: every problem of the body listed at once", async () => {
      const before = await count(h);
      const p = await problem(
        await api(h, "POST", "/orders", {
          items: [
            { offerId: "no-such-offer", quantity: 1, price: 1 },
            { offerId: CATALOG.tv, quantity: 0, price: 1 },
            { offerId: CATALOG.tv, quantity: -2, price: 1 },
            { offerId: CATALOG.tv, quantity: 1, price: 1.005 },
            { offerId: CATALOG.tv, quantity: 1.0001, price: -1 },
            { offerId: CATALOG.gone, quantity: 1, price: 1 },
          ],
          currency: "RUB",
          delivery: { price: 1.234 },
        }),
        422,
      );
      assertEquals(p.issues!.map((i) => i.path), [
        "customer",
        "delivery.price",
        "items.0.offerId",
        "items.1.quantity",
        "items.2.quantity",
        "items.3.price",
        "items.4.quantity",
        "items.4.price",
        "items.5.offerId",
      ]);
      assertMatch(p.detail, /^The order cannot be accepted: customer give customerId or customer/);
      assertMatch(p.issues![2].message, /no offer with Ид no-such-offer/);
      assertMatch(p.issues![8].message, /inactive/);
      const empty = await problem(
        await api(h, "POST", "/orders", simpleOrder({ items: [] })),
        422,
      );
      assertEquals(empty.issues, [{ path: "items", message: "an order needs at least one item" }]);
      const noContact = await problem(
        await api(h, "POST", "/orders", simpleOrder({ customer: { taxId: "1" } })),
        422,
      );
      assertEquals(noContact.issues![0].path, "customer");
      assertEquals(await count(h), before);
    });

    await t.step("400: not the JSON shape (types, unknown fields)", async () => {
      await problem(await api(h, "POST", "/orders", simpleOrder({ items: "x" })), 400);
      await problem(await api(h, "POST", "/orders", simpleOrder({ extra: 1 })), 400);
      await problem(
        await api(
          h,
          "POST",
          "/orders",
          simpleOrder({
            items: [{ offerId: CATALOG.tv, quantity: "2", price: 1 }],
          }),
        ),
        400,
      );
    });

    await t.step("400 / 415: a body that is not JSON", async () => {
      const post = (headers: Record<string, string>, body: string) =>
        h.app.request("/api/v1/orders", {
          method: "POST",
          headers: { Authorization: "Bearer dev-platform-token", ...headers },
          body,
        });
      const bad = await problem(await post({ "Content-Type": "application/json" }, "{bad"), 400);
      assertMatch(bad.detail, /Malformed JSON/);
      await problem(await post({}, "{}"), 415);
    });

    await t.step("roles: readers read, platform and admin write, no token no entry", async () => {
      await problem(await api(h, "POST", "/orders", simpleOrder(), { token: READER }), 403);
      await problem(await api(h, "POST", "/orders", simpleOrder(), { token: null }), 401);
      assertEquals((await api(h, "POST", "/orders", simpleOrder(), { token: ADMIN })).status, 201);
      await problem(await api(h, "PATCH", "/orders/1", { comment: "x" }, { token: READER }), 403);
      await problem(await api(h, "GET", "/orders/999999", undefined, { token: READER }), 404);
      await problem(await api(h, "GET", "/orders/abc", undefined, { token: READER }), 400);
    });

    await t.step("Idempotency-Key: same body replays, another body is a 422", async () => {
      const key = { headers: { "Idempotency-Key": "order-key-1" } };
      const before = await count(h);
      const first = await api(h, "POST", "/orders", simpleOrder(), key);
      assertEquals(first.status, 201);
      const created: OrderBody = await first.json();
      assertEquals(first.headers.get("idempotent-replayed"), null);
      // Same body, keys in another order: the same request.
      const { currency, items, customer } = simpleOrder();
      const replay = await api(h, "POST", "/orders", { items, customer, currency }, key);
      assertEquals(replay.status, 201);
      assertEquals(replay.headers.get("idempotent-replayed"), "true");
      assertEquals(replay.headers.get("location"), `/api/v1/orders/${created.id}`);
      assertEquals((await replay.json()).id, created.id);
      const other = await problem(
        await api(h, "POST", "/orders", simpleOrder({ comment: "другое" }), key),
        422,
      );
      assertMatch(other.detail, /already used with a different request body/);
      assertEquals(await count(h), before + 1);
      // Another client (role) may use the same key for its own request.
      assertEquals(
        (await api(h, "POST", "/orders", simpleOrder(), { ...key, token: ADMIN })).status,
        201,
      );
    });

    await t.step(
      "Idempotency-Key: a refused body is not stored; expired keys are reusable",
      async () => {
        const key = { headers: { "Idempotency-Key": "order-key-2" } };
        await problem(
          await api(
            h,
            "POST",
            "/orders",
            simpleOrder({ items: [{ offerId: "x", quantity: 1, price: 1 }] }),
            key,
          ),
          422,
        );
        const fixed = await api(h, "POST", "/orders", simpleOrder(), key);
        assertEquals(fixed.status, 201);
        const id = (await fixed.json()).id;
        await sql`UPDATE idempotency_keys SET created_at = now() - interval '25 hours'
        WHERE key = 'order-key-2'`.execute(h.ctx.db);
        const fresh = await api(h, "POST", "/orders", simpleOrder(), key);
        assertEquals(fresh.status, 201);
        assert((await fresh.json()).id !== id, "after 24 h the key starts over");
      },
    );

    await t.step("Idempotency-Key: concurrent retries create one order", async () => {
      const before = await count(h);
      const key = { headers: { "Idempotency-Key": "order-key-3" } };
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => api(h, "POST", "/orders", simpleOrder(), key)),
      );
      const bodies: OrderBody[] = await Promise.all(answers.map((r) => r.json()));
      assertEquals(answers.map((r) => r.status), [201, 201, 201, 201, 201, 201]);
      assertEquals(new Set(bodies.map((b) => b.id)).size, 1);
      assertEquals(answers.filter((r) => r.headers.get("idempotent-replayed")).length, 5);
      assertEquals(await count(h), before + 1);
    });

    await t.step("PATCH: changes bump the version, the same values do not", async () => {
      const o = await createOrder(h);
      const res = await api(h, "PATCH", `/orders/${o.id}`, {
        items: [{ offerId: CATALOG.tv, quantity: 3, price: 10 }],
        delivery: { method: "Самовывоз", price: 0 },
        comment: "позвонить",
      });
      assertEquals(res.status, 200);
      const p: OrderBody = await res.json();
      assertEquals([p.version, p.itemsTotal, p.total, p.comment], [2, 30, 30, "позвонить"]);
      const same = await api(h, "PATCH", `/orders/${o.id}`, {
        items: [{ offerId: CATALOG.tv, quantity: 3, price: 10 }],
        comment: "позвонить",
      });
      assertEquals((await same.json()).version, 2);
      const removed = await api(h, "PATCH", `/orders/${o.id}`, { delivery: null });
      assertEquals((await removed.json()).version, 3);
      const bad = await problem(
        await api(h, "PATCH", `/orders/${o.id}`, {
          items: [{ offerId: "x", quantity: 1, price: 1 }],
        }),
        422,
      );
      assertEquals(bad.issues![0].path, "items.0.offerId");
      const cancelled = await api(h, "PATCH", `/orders/${o.id}`, { cancelled: true });
      assertEquals((await cancelled.json()).status, "cancelled");
      await problem(
        await api(h, "PATCH", `/orders/${o.id}`, {
          items: [{ offerId: CATALOG.tv, quantity: 1, price: 1 }],
        }),
        409,
      );
      await problem(await api(h, "PATCH", "/orders/999999", { comment: "x" }), 404);
    });

    await t.step("list: by id with a cursor, by status, by updatedSince", async () => {
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : "";
        const res = await api(h, "GET", `/orders?limit=3${q}`, undefined, { token: READER });
        assertEquals(res.status, 200);
        const page: { items: OrderBody[]; nextCursor: string | null } = await res.json();
        all.push(...page.items.map((o) => o.id));
        cursor = page.nextCursor;
      } while (cursor);
      assertEquals(all.length, await count(h));
      assertEquals(all, [...all].sort((a, b) => Number(a) - Number(b)));

      const cancelled = await (await api(h, "GET", "/orders?status=cancelled", undefined, {
        token: READER,
      })).json();
      assertEquals(cancelled.items.length, 1);
      await problem(await api(h, "GET", "/orders?status=lost", undefined, { token: READER }), 400);

      const mark = new Date().toISOString();
      const o = await createOrder(h);
      await api(h, "PATCH", `/orders/1`, { comment: "later" });
      const since = await (await api(
        h,
        "GET",
        `/orders?updatedSince=${encodeURIComponent(mark)}`,
        undefined,
        { token: READER },
      )).json();
      assertEquals(since.items.map((x: OrderBody) => x.id), [o.id, "1"]);
      await problem(await api(h, "GET", "/orders?cursor=zzz", undefined, { token: READER }), 400);
    });

    await t.step("openapi documents the routes", async () => {
      const doc = await (await h.app.request("/openapi.json")).json();
      for (const path of ["/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/order-imports"]) {
        assert(doc.paths[path], path);
      }
      assert(
        doc.paths["/api/v1/orders"].post.parameters.some((p: { name: string }) =>
          p.name === "idempotency-key"
        ),
      );
    });
  } finally {
    await h.close();
  }
});
