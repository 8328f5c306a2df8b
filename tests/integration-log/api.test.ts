/**
 * GET /api/v1/integration-log: filters (kind, status, since), newest first, cursor pages that
 * neither repeat nor skip, the limit clamp, camelCase fields, 400 problems for bad parameters,
 * and admin only (the rows hold URLs and bodies).
 */
import { assert, assertEquals } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { TOKENS } from "../customers/helpers.ts";
import type { IntegrationLogTable } from "../../db/schema-integration-log.ts";
import type { Insertable } from "kysely";

type Row = Insertable<IntegrationLogTable>;

const HOUR = 3600_000;

function get(h: Harness, query: string, token: string | null = TOKENS.admin) {
  return Promise.resolve(h.app.request(`/api/v1/integration-log${query}`, {
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  }));
}

async function page(h: Harness, query: string) {
  const res = await get(h, query);
  assertEquals(res.status, 200, await res.clone().text());
  // deno-lint-ignore no-explicit-any
  return await res.json() as { items: any[]; nextCursor: string | null };
}

Deno.test("integration log API: filters, pages, roles", async (t) => {
  const h = await createHarness("integration_log_api", { workers: false });
  try {
    const now = Date.now();
    const row = (over: Partial<Row> & Pick<Row, "kind" | "status" | "at">): Row => ({
      direction: over.kind === "exchange" ? "inbound" : "outbound",
      method: "POST",
      url: "http://example.test/x",
      duration_ms: 12,
      ...over,
    });
    await h.ctx.db.insertInto("integration_log").values([
      row({
        kind: "exchange",
        status: "success",
        at: new Date(now - 3 * HOUR),
        exchange_type: "catalog",
        mode: "file",
        file: "import.xml",
        request_bytes: 1000000,
        response_body: "success\nimport.xml: 1000000 bytes received",
        request_id: "rid-1",
        client_ip: "192.0.2.10",
      }),
      row({ kind: "exchange", status: "failure", at: new Date(now - 2 * HOUR), mode: "import" }),
      row({ kind: "ozon", status: "error", at: new Date(now - HOUR), error: "timeout" }),
      row({
        kind: "wildberries",
        status: "success",
        at: new Date(now - HOUR / 2),
        http_status: 204,
      }),
      row({ kind: "onec-http", status: "failure", at: new Date(now - HOUR / 6), http_status: 409 }),
    ]).execute();
    // Older bulk for paging; several share a timestamp, so ties are broken by id.
    await h.ctx.db.insertInto("integration_log").values(
      Array.from({ length: 250 }, (_, i) =>
        row({
          kind: "exchange",
          status: "progress",
          at: new Date(now - 5 * 24 * HOUR - Math.floor(i / 3) * 1000),
          mode: "import",
        })),
    ).execute();

    await t.step("newest first, camelCase, default page of 100", async () => {
      const p = await page(h, "");
      assertEquals(p.items.length, 100);
      assert(p.nextCursor);
      assertEquals(p.items.slice(0, 5).map((i) => i.kind), [
        "onec-http",
        "wildberries",
        "ozon",
        "exchange",
        "exchange",
      ]);
      const file = p.items[4];
      assertEquals(file, {
        id: file.id,
        at: new Date(now - 3 * HOUR).toISOString(),
        kind: "exchange",
        direction: "inbound",
        method: "POST",
        url: "http://example.test/x",
        exchangeType: "catalog",
        mode: "file",
        file: "import.xml",
        status: "success",
        httpStatus: null,
        durationMs: 12,
        requestId: "rid-1",
        ref: null,
        clientIp: "192.0.2.10",
        requestBytes: 1000000,
        requestBody: null,
        responseBody: "success\nimport.xml: 1000000 bytes received",
        error: null,
      });
    });

    await t.step("kind, status and since narrow the list", async () => {
      assertEquals((await page(h, "?kind=ozon")).items.map((i) => i.error), ["timeout"]);
      assertEquals(
        (await page(h, "?status=failure")).items.map((i) => i.kind),
        ["onec-http", "exchange"],
      );
      assertEquals(
        (await page(h, "?kind=exchange&status=failure")).items.map((i) => i.mode),
        ["import"],
      );
      const since = new Date(now - 2.5 * HOUR).toISOString();
      assertEquals(
        (await page(h, `?since=${encodeURIComponent(since)}`)).items.map((i) => i.kind),
        ["onec-http", "wildberries", "ozon", "exchange"],
      );
      const offset = encodeURIComponent(
        new Date(now - 2.5 * HOUR).toISOString().replace("Z", "+00:00"),
      );
      assertEquals((await page(h, `?since=${offset}&kind=wildberries`)).items.length, 1);
      assertEquals((await page(h, `?kind=exchange&status=progress&limit=1000`)).items.length, 250);
    });

    await t.step("cursor pages cover everything once; big limits are clamped", async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const p: { items: { id: number }[]; nextCursor: string | null } = await page(
          h,
          `?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
        );
        seen.push(...p.items.map((i) => i.id));
        cursor = p.nextCursor;
        pages++;
      } while (cursor);
      assertEquals(pages, 3);
      assertEquals(seen.length, 255);
      assertEquals(new Set(seen).size, 255);
      const all = await page(h, "?limit=5000");
      assertEquals(all.items.length, 255);
      assertEquals(all.nextCursor, null);
      assertEquals(all.items.map((i) => i.id), seen);
    });

    await t.step("bad parameters are 400 problems naming them", async () => {
      for (
        const [query, path] of [
          ["?kind=ftp", "kind"],
          ["?status=done", "status"],
          ["?since=yesterday", "since"],
          ["?since=2024-05-01T00:00:00", "since"],
          ["?limit=0", "limit"],
          ["?cursor=not-a-cursor!", "cursor"],
        ]
      ) {
        const res = await get(h, query);
        assertEquals(res.status, 400, query);
        assertEquals(res.headers.get("content-type"), "application/problem+json");
        const body = await res.json();
        assertEquals(body.issues[0].path, path, query);
      }
    });

    await t.step("admin only: 403 for platform and reader, 401 without a token", async () => {
      for (const token of [TOKENS.platform, TOKENS.reader]) {
        const res = await get(h, "", token);
        assertEquals(res.status, 403);
        assertEquals(res.headers.get("content-type"), "application/problem+json");
        assertEquals((await res.json()).detail, "This needs one of the roles: admin.");
      }
      assertEquals((await get(h, "", null)).status, 401);
    });

    await t.step("the route is in the OpenAPI document", async () => {
      const doc = await (await h.app.request("/openapi.json")).json();
      const op = doc.paths["/api/v1/integration-log"].get;
      assertEquals(
        op.parameters.map((p: { name: string }) => p.name).sort(),
        ["cursor", "kind", "limit", "since", "status"],
      );
      assert(op.responses["403"]);
    });
  } finally {
    await h.close();
  }
});
