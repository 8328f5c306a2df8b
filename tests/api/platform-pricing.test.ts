/**
 * Prices for platform roles (issue 7): price types mapped to customer roles through the API,
 * products read with `?role=`, offers' `inStock` / `canBeOrdered`, warehouses marked as serving
 * orders — on a catalog imported from 1C through the exchange protocol, and kept across a
 * re-import.
 */
// node:assert, not @std/assert: JSR is out of reach where this runs, npm and Deno's node: are not.
import assert from "node:assert/strict";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import { UPSERT_PRICE_TYPES, UPSERT_WAREHOUSES } from "../../src/catalog/writer-sql.ts";
import { GROUP_CHILD, importXml, P1, P3, VARIANT } from "../fixtures/catalog-v208.ts";

const TOKENS = {
  admin: "dev-admin-token",
  platform: "dev-platform-token",
  reader: "dev-reader-token",
} as const;
type Token = keyof typeof TOKENS;

const PT_RETAIL = "pt-retail";
const PT_WHOLESALE = "pt-wholesale";
const PT_PARTNER = "pt-partner";
const WH_MAIN = "wh-main";
const WH_SHOP = "wh-shop";

/**
 * Offers for the fixture's products: three price types, two warehouses. P1 has stock only in
 * the shop (0 in the main warehouse), the variant only in the main warehouse, and P3 only a
 * total (Количество, no warehouses).
 */
function offersXml(o: { retailName?: string; shopName?: string; p1Retail?: string } = {}) {
  const price = (type: string, value: string) =>
    `<Цена><ИдТипаЦены>${type}</ИдТипаЦены><ЦенаЗаЕдиницу>${value}</ЦенаЗаЕдиницу>` +
    `<Валюта>RUB</Валюта></Цена>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.08">
  <ПакетПредложений СодержитТолькоИзменения="false">
    <Ид>cat-1#</Ид><Наименование>Пакет предложений</Наименование><ИдКаталога>cat-1</ИдКаталога>
    <ТипыЦен>
      <ТипЦены><Ид>${PT_RETAIL}</Ид><Наименование>${
    o.retailName ?? "Розничная"
  }</Наименование><Валюта>RUB</Валюта></ТипЦены>
      <ТипЦены><Ид>${PT_WHOLESALE}</Ид><Наименование>Оптовая</Наименование><Валюта>RUB</Валюта></ТипЦены>
      <ТипЦены><Ид>${PT_PARTNER}</Ид><Наименование>Партнёрская</Наименование><Валюта>RUB</Валюта></ТипЦены>
    </ТипыЦен>
    <Склады>
      <Склад><Ид>${WH_MAIN}</Ид><Наименование>Основной склад</Наименование></Склад>
      <Склад><Ид>${WH_SHOP}</Ид><Наименование>${o.shopName ?? "Магазин"}</Наименование></Склад>
    </Склады>
    <Предложения>
      <Предложение><Ид>${P1}</Ид><Наименование>Дрель ударная</Наименование>
        <Цены>${price(PT_RETAIL, o.p1Retail ?? "4990.50")}${price(PT_WHOLESALE, "4100")}${
    price(PT_PARTNER, "3900")
  }</Цены>
        <Количество>2</Количество>
        <Склад ИдСклада="${WH_MAIN}" КоличествоНаСкладе="0"/><Склад ИдСклада="${WH_SHOP}" КоличествоНаСкладе="2"/>
      </Предложение>
      <Предложение><Ид>${VARIANT}</Ид><Наименование>Футболка (XL)</Наименование>
        <Цены>${price(PT_RETAIL, "990")}</Цены>
        <Остатки><Остаток><Склад><Ид>${WH_MAIN}</Ид><Количество>3</Количество></Склад></Остаток></Остатки>
      </Предложение>
      <Предложение><Ид>${P3}</Ид><Наименование>Без артикула</Наименование>
        <Цены>${price(PT_RETAIL, "100")}${price(PT_WHOLESALE, "90")}</Цены>
        <Количество>4</Количество>
      </Предложение>
    </Предложения>
  </ПакетПредложений>
</КоммерческаяИнформация>`;
}

const enc = new TextEncoder();

/** One 1C exchange through the protocol; every file must import with success. */
async function exchange(h: Harness, files: [string, string][]) {
  const c = new OneCClient(inProcess(h.app));
  await c.checkauth();
  await c.init();
  for (const [name, xml] of files) {
    await c.upload(name, enc.encode(xml));
    const answer = await c.importFile(name);
    assert.equal(answer.lines[0], "success", `${name}: ${answer.lines.join(" | ")}`);
  }
}

function api(h: Harness, method: string, path: string, body?: unknown, token: Token = "admin") {
  return Promise.resolve(h.app.request(path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKENS[token]}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function ok(res: Response | Promise<Response>, status = 200): Promise<Json> {
  const r = await res;
  const text = await r.text();
  assert.equal(r.status, status, text);
  return JSON.parse(text);
}

async function problem(res: Response | Promise<Response>, status: number): Promise<Json> {
  const r = await res;
  const text = await r.text();
  assert.equal(r.status, status, text);
  assert.equal(r.headers.get("content-type"), "application/problem+json");
  const body = JSON.parse(text);
  assert.equal(body.status, status);
  return body;
}

const setRole = (h: Harness, id: string, role: string | null, token: Token = "admin") =>
  api(h, "PUT", `/api/v1/price-types/${encodeURIComponent(id)}`, { role }, token);
const setServes = (h: Harness, id: string, servesOrders: boolean, token: Token = "admin") =>
  api(h, "PUT", `/api/v1/warehouses/${encodeURIComponent(id)}`, { servesOrders }, token);
const product = (h: Harness, id: string, query = "") =>
  ok(api(h, "GET", `/api/v1/products/${encodeURIComponent(id)}${query}`, undefined, "reader"));

/** Offer Ид → what the platform reads about it, from one product read. */
async function offers(h: Harness, query = ""): Promise<Map<string, Json>> {
  const page = await ok(api(h, "GET", `/api/v1/products${query}`, undefined, "platform"));
  const map = new Map<string, Json>();
  for (const p of page.items) for (const o of p.offers) map.set(o.onecId, o);
  return map;
}

async function availabilityOf(h: Harness) {
  const o = await offers(h);
  return Object.fromEntries(
    [P1, VARIANT, P3].map((id) => [id, [o.get(id).inStock, o.get(id).canBeOrdered]]),
  );
}

async function rolesOfPriceTypes(h: Harness): Promise<Record<string, string | null>> {
  const { items } = await ok(api(h, "GET", "/api/v1/price-types", undefined, "reader"));
  return Object.fromEntries(items.map((t: Json) => [t.id, t.role]));
}

/**
 * Awaits an API call while another connection holds locks the way an import does. Fails as
 * soon as the call's statement is seen waiting for a lock, rather than hanging the test.
 */
async function withoutWaitingForLocks(
  h: Harness,
  call: () => Promise<Response>,
): Promise<Response> {
  let settled = false;
  const pending = call().finally(() => settled = true);
  while (!settled) {
    const { rows } = await h.ctx.pool.query(
      `SELECT query FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'
         AND query ~ '(price_type_roles|warehouse_order_flags|price_types|warehouses)'`,
    );
    if (rows.length > 0) {
      // The caller's finally releases the lock, and the call then completes.
      throw new Error(`the request waits for the import's lock: ${rows[0].query}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return await pending;
}

Deno.test({
  name: "platform pricing: roles, ?role= prices, inStock / canBeOrdered, warehouse marks",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("api-platform-pricing");
    try {
      await exchange(h, [["import.xml", importXml()], ["offers.xml", offersXml()]]);

      await t.step("after the import: no roles, every warehouse serves orders", async () => {
        assert.deepEqual(await ok(api(h, "GET", "/api/v1/price-types", undefined, "reader")), {
          items: [
            { id: PT_WHOLESALE, name: "Оптовая", currency: "RUB", role: null },
            { id: PT_PARTNER, name: "Партнёрская", currency: "RUB", role: null },
            { id: PT_RETAIL, name: "Розничная", currency: "RUB", role: null },
          ],
        });
        assert.deepEqual(await ok(api(h, "GET", "/api/v1/warehouses", undefined, "reader")), {
          items: [
            { id: WH_SHOP, name: "Магазин", servesOrders: true },
            { id: WH_MAIN, name: "Основной склад", servesOrders: true },
          ],
        });
        assert.deepEqual(await ok(api(h, "GET", "/api/v1/price-roles", undefined, "reader")), {
          items: [],
        });
      });

      await t.step(
        "every offer says inStock and canBeOrdered; no price without a role",
        async () => {
          assert.deepEqual(await availabilityOf(h), {
            [P1]: [true, true], // shop 2 (main 0)
            [VARIANT]: [true, true], // main 3
            [P3]: [true, true], // only Количество 4, and every warehouse serves orders
          });
          const p1 = (await product(h, P1)).offers[0];
          assert.equal("price" in p1, false);
          assert.deepEqual(p1.stocks, [
            { warehouseId: WH_MAIN, warehouse: "Основной склад", quantity: 0 },
            { warehouseId: WH_SHOP, warehouse: "Магазин", quantity: 2 },
          ]);
          const p3 = (await product(h, P3)).offers[0];
          assert.deepEqual([p3.stocks, p3.quantity], [[], 4]);
        },
      );

      await t.step("only admins map roles and mark warehouses (403 problem)", async () => {
        for (const token of ["reader", "platform"] as const) {
          await problem(setRole(h, PT_RETAIL, "retail", token), 403);
          await problem(setServes(h, WH_SHOP, false, token), 403);
        }
        assert.deepEqual(Object.values(await rolesOfPriceTypes(h)), [null, null, null]);
      });

      await t.step("unknown price type or warehouse: 404 problem", async () => {
        const pt = await problem(setRole(h, "pt-nope", "retail"), 404);
        assert.match(pt.detail, /pt-nope/);
        const wh = await problem(setServes(h, "wh-nope", false), 404);
        assert.match(wh.detail, /wh-nope/);
        assert.deepEqual(await ok(api(h, "GET", "/api/v1/price-roles")), { items: [] });
      });

      await t.step("bad bodies: 400 problem with issues", async () => {
        const bad: [string, unknown][] = [
          [`/api/v1/price-types/${PT_RETAIL}`, { role: "   " }],
          [`/api/v1/price-types/${PT_RETAIL}`, { role: "x".repeat(101) }],
          [`/api/v1/price-types/${PT_RETAIL}`, { role: "a\u0000b" }],
          [`/api/v1/price-types/${PT_RETAIL}`, {}],
          [`/api/v1/price-types/${PT_RETAIL}`, { role: "retail", extra: 1 }],
          [`/api/v1/warehouses/${WH_SHOP}`, { servesOrders: "no" }],
          [`/api/v1/warehouses/${WH_SHOP}`, {}],
        ];
        for (const [path, body] of bad) {
          const p = await problem(api(h, "PUT", path, body), 400);
          assert.ok(Array.isArray(p.issues) && p.issues.length > 0, JSON.stringify(p));
        }
      });

      await t.step(
        "map roles: the price type shows its role, GET /price-roles lists it",
        async () => {
          assert.deepEqual(await ok(setRole(h, PT_RETAIL, "retail")), {
            id: PT_RETAIL,
            name: "Розничная",
            currency: "RUB",
            role: "retail",
          });
          await ok(setRole(h, PT_WHOLESALE, "wholesale-1"));
          // Stored the way the customers API stores a role: trimmed, inner spaces collapsed.
          const partner = await ok(setRole(h, PT_PARTNER, "  Партнёр   Опт "));
          assert.equal(partner.role, "Партнёр Опт");
          assert.deepEqual(await rolesOfPriceTypes(h), {
            [PT_WHOLESALE]: "wholesale-1",
            [PT_PARTNER]: "Партнёр Опт",
            [PT_RETAIL]: "retail",
          });
          assert.deepEqual(await ok(api(h, "GET", "/api/v1/price-roles", undefined, "reader")), {
            items: [
              { role: "retail", priceTypeId: PT_RETAIL, priceType: "Розничная", currency: "RUB" },
              {
                role: "wholesale-1",
                priceTypeId: PT_WHOLESALE,
                priceType: "Оптовая",
                currency: "RUB",
              },
              {
                role: "Партнёр Опт",
                priceTypeId: PT_PARTNER,
                priceType: "Партнёрская",
                currency: "RUB",
              },
            ].sort((a, b) => a.role < b.role ? -1 : 1),
          });
          // Setting the same role again changes nothing.
          assert.equal((await ok(setRole(h, PT_RETAIL, "retail"))).role, "retail");
        },
      );

      await t.step(
        "?role= puts that role's price on each offer, null where it has none",
        async () => {
          const retail = await offers(h, "?role=retail");
          assert.deepEqual(retail.get(P1).price, {
            priceTypeId: PT_RETAIL,
            priceType: "Розничная",
            value: 4990.5,
            currency: "RUB",
          });
          assert.equal(retail.get(VARIANT).price.value, 990);
          assert.equal(retail.get(P3).price.value, 100);
          // All prices stay listed; the role only picks one.
          assert.equal(retail.get(P1).prices.length, 3);

          const wholesale = await offers(h, "?role=wholesale-1");
          assert.equal(wholesale.get(P1).price.value, 4100);
          assert.equal(wholesale.get(VARIANT).price, null);
          assert.equal(wholesale.get(P3).price.value, 90);

          // The single product and the list agree; other filters combine with the role.
          const one = await product(h, P1, "?role=" + encodeURIComponent("Партнёр Опт"));
          assert.equal(one.offers[0].price.value, 3900);
          const page = await ok(api(
            h,
            "GET",
            `/api/v1/products?role=${encodeURIComponent("Партнёр Опт")}&category=${GROUP_CHILD}`,
          ));
          assert.deepEqual(page.items.map((p: Json) => p.onecId), [P1, P3].sort());
          assert.deepEqual(page.items.find((p: Json) => p.onecId === P1), one);
        },
      );

      await t.step("a customer carries its role, and that role reads its prices", async () => {
        const customer = await ok(
          api(h, "POST", "/api/v1/customers", {
            email: "partner@example.com",
            customerType: "legal_entity",
            companyName: "ООО Партнёр",
            role: " Партнёр  Опт ",
          }, "platform"),
          201,
        );
        const read = await ok(api(h, "GET", `/api/v1/customers/${customer.id}`));
        assert.equal(read.role, "Партнёр Опт");
        const o = await offers(h, `?role=${encodeURIComponent(read.role)}`);
        assert.equal(o.get(P1).price.priceTypeId, PT_PARTNER);
      });

      await t.step("a role no price type serves: 400 naming it and the known roles", async () => {
        for (const path of ["/api/v1/products?role=vip", `/api/v1/products/${P1}?role=vip`]) {
          const p = await problem(api(h, "GET", path, undefined, "reader"), 400);
          assert.match(p.detail, /"vip"/);
          assert.match(p.detail, /"retail", "wholesale-1"|"wholesale-1".*"retail"/s);
          assert.match(p.detail, /"Партнёр Опт"/);
          assert.deepEqual(p.issues.map((i: Json) => i.path), ["role"]);
        }
        // Roles match exactly (as customers carry them): case matters.
        await problem(api(h, "GET", "/api/v1/products?role=Retail"), 400);
        await problem(api(h, "GET", "/api/v1/products?role="), 400);
      });

      await t.step("a role given to another price type moves there", async () => {
        // pt-partner served "Партнёр Опт"; it now serves "retail", which pt-retail loses.
        assert.equal((await ok(setRole(h, PT_PARTNER, "retail"))).role, "retail");
        assert.deepEqual(await rolesOfPriceTypes(h), {
          [PT_WHOLESALE]: "wholesale-1",
          [PT_PARTNER]: "retail",
          [PT_RETAIL]: null,
        });
        assert.equal((await offers(h, "?role=retail")).get(P1).price.value, 3900);
        const gone = await problem(
          api(h, "GET", `/api/v1/products?role=${encodeURIComponent("Партнёр Опт")}`),
          400,
        );
        assert.match(gone.detail, /Партнёр Опт/);
        assert.ok(
          h.logLines.some((l) => {
            const line = JSON.parse(l);
            return line.msg === "price type role set" && line.priceTypeId === PT_PARTNER &&
              line.roleMovedFrom === PT_RETAIL && line.previousRole === "Партнёр Опт";
          }),
          "the move is logged",
        );
      });

      await t.step("role null unmaps", async () => {
        assert.equal((await ok(setRole(h, PT_PARTNER, null))).role, null);
        assert.equal((await ok(setRole(h, PT_PARTNER, null))).role, null, "idempotent");
        await problem(api(h, "GET", "/api/v1/products?role=retail"), 400);
        const { items } = await ok(api(h, "GET", "/api/v1/price-roles"));
        assert.deepEqual(items.map((r: Json) => r.role), ["wholesale-1"]);
      });

      await t.step(
        "a warehouse that stops serving orders: canBeOrdered flips, inStock stays",
        async () => {
          assert.deepEqual(await ok(setServes(h, WH_SHOP, false)), {
            id: WH_SHOP,
            name: "Магазин",
            servesOrders: false,
          });
          const { items } = await ok(api(h, "GET", "/api/v1/warehouses"));
          assert.deepEqual(items.map((w: Json) => [w.id, w.servesOrders]), [
            [WH_SHOP, false],
            [WH_MAIN, true],
          ]);
          assert.deepEqual(await availabilityOf(h), {
            [P1]: [true, false], // its only stock is in the shop
            [VARIANT]: [true, true], // main warehouse
            // A total without warehouses could be the shop's stock: no longer orderable.
            [P3]: [true, false],
          });
          await ok(setServes(h, WH_MAIN, false));
          assert.deepEqual(await availabilityOf(h), {
            [P1]: [true, false],
            [VARIANT]: [true, false],
            [P3]: [true, false],
          });
          await ok(setServes(h, WH_MAIN, true));
          await ok(setServes(h, WH_SHOP, true));
          assert.deepEqual(await availabilityOf(h), {
            [P1]: [true, true],
            [VARIANT]: [true, true],
            [P3]: [true, true],
          });
        },
      );

      await t.step("setting a role or a mark does not wait for a running import", async () => {
        // What an import does first with offers.xml's ТипыЦен and Склады, in its long
        // transaction: the upserts lock every listed row until the file commits.
        const importer = await h.ctx.pool.connect();
        try {
          await importer.query("BEGIN");
          await importer.query(UPSERT_PRICE_TYPES, [[PT_RETAIL], ["Розничная"], ["RUB"]]);
          await importer.query(UPSERT_WAREHOUSES, [[WH_SHOP], ["Магазин"]]);
          await ok(withoutWaitingForLocks(h, () => setRole(h, PT_RETAIL, "retail")));
          await ok(withoutWaitingForLocks(h, () => setServes(h, WH_SHOP, false)));
        } finally {
          await importer.query("ROLLBACK");
          importer.release();
        }
        assert.equal((await rolesOfPriceTypes(h))[PT_RETAIL], "retail");
      });

      await t.step("a re-import from 1C keeps the roles and the warehouse marks", async () => {
        // Renamed price type and warehouse, a new price: the rows are rewritten by the import.
        await exchange(h, [
          ["import.xml", importXml()],
          [
            "offers.xml",
            offersXml({ retailName: "Розница", shopName: "Магазин №1", p1Retail: "5100" }),
          ],
        ]);
        const types = await ok(api(h, "GET", "/api/v1/price-types"));
        assert.deepEqual(
          types.items.find((t: Json) => t.id === PT_RETAIL),
          { id: PT_RETAIL, name: "Розница", currency: "RUB", role: "retail" },
        );
        const { items } = await ok(api(h, "GET", "/api/v1/warehouses"));
        assert.deepEqual(items.find((w: Json) => w.id === WH_SHOP), {
          id: WH_SHOP,
          name: "Магазин №1",
          servesOrders: false,
        });
        const retail = await offers(h, "?role=retail");
        assert.deepEqual(retail.get(P1).price, {
          priceTypeId: PT_RETAIL,
          priceType: "Розница",
          value: 5100,
          currency: "RUB",
        });
        assert.deepEqual([retail.get(P1).inStock, retail.get(P1).canBeOrdered], [true, false]);
        assert.equal((await offers(h, "?role=wholesale-1")).get(P1).price.value, 4100);
      });
    } finally {
      await h.close();
    }
  },
});
