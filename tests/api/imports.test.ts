/**
 * GET /api/v1/imports and /api/v1/imports/{id}: the import audit.
 */
// node:assert, not @std/assert: JSR is out of reach where this runs, npm and Deno's node: are not.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";

function get(h: Harness, path: string, token: string | null = "dev-reader-token") {
  return h.app.request(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

/** See tests/api/products.test.ts: Generated<Timestamp> columns reject plain strings. */
const at = (iso: string) => sql<never>`${iso}::timestamptz`;

interface RunBody {
  id: number;
  status: string;
  createdAt: string;
}

async function problem(res: Response, status: number) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  return body;
}

Deno.test({
  name: "imports API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("api-imports", { workers: false });
    try {
      const db = h.ctx.db;
      await db.insertInto("exchange_sessions").values({
        id: "sess-1",
        token: "tok-1",
        type: "catalog",
        expires_at: at("2099-01-01T00:00:00Z"),
        started_unix: 1700000000,
      }).execute();
      const [done] = await db.insertInto("import_runs").values({
        session_id: "sess-1",
        file_name: "import0_1.xml",
        kind: "catalog",
        status: "success",
        progress: "done",
        file_size: 5_000_000_000,
        bytes_read: 5_000_000_000,
        full_exchange: true,
        counts: JSON.stringify({ products: { created: 10, updated: 2, deactivated: 1 } }),
        errors: JSON.stringify(["line 5: bad price"]),
        request_id: "req-1",
        created_at: at("2024-05-01T10:00:00Z"),
        started_at: at("2024-05-01T10:00:01Z"),
        finished_at: at("2024-05-01T10:00:13.5Z"),
      }).returning("id").execute();
      const doneId = Number(done.id);
      // Thirteen more, two sharing one creation time, to page through.
      await sql`
        INSERT INTO import_runs (file_name, status, created_at)
        SELECT 'offers' || i || '.xml',
          CASE WHEN i % 3 = 0 THEN 'failed' ELSE 'queued' END,
          '2024-06-01T00:00:00Z'::timestamptz + (i / 2) * interval '1 minute'
        FROM generate_series(1, 13) AS i
      `.execute(db);

      await t.step("401 problem without a token", async () => {
        await problem(await get(h, "/api/v1/imports", null), 401);
        await problem(await get(h, `/api/v1/imports/${doneId}`, "bad-token-xyz"), 401);
      });

      await t.step("one run, every field typed as documented", async () => {
        const res = await get(h, `/api/v1/imports/${doneId}`, "dev-admin-token");
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), {
          id: doneId,
          sessionId: "sess-1",
          fileName: "import0_1.xml",
          kind: "catalog",
          status: "success",
          progress: "done",
          fileSize: 5_000_000_000,
          bytesRead: 5_000_000_000,
          fullExchange: true,
          counts: { products: { created: 10, updated: 2, deactivated: 1 } },
          errors: ["line 5: bad price"],
          error: null,
          requestId: "req-1",
          createdAt: "2024-05-01T10:00:00.000Z",
          startedAt: "2024-05-01T10:00:01.000Z",
          finishedAt: "2024-05-01T10:00:13.500Z",
          durationSeconds: 12.5,
        });
      });

      await t.step("a queued run has nulls where nothing happened yet", async () => {
        const list = await (await get(h, "/api/v1/imports?limit=1", "dev-platform-token")).json();
        const run = list.items[0];
        assert.equal(run.fileName, "offers13.xml");
        assert.equal(run.sessionId, null);
        assert.equal(run.kind, null);
        assert.equal(run.fileSize, null);
        assert.equal(run.bytesRead, 0);
        assert.deepEqual(run.counts, {});
        assert.deepEqual(run.errors, []);
        assert.equal(run.startedAt, null);
        assert.equal(run.durationSeconds, null);
      });

      await t.step("list: newest first, each run once across pages", async () => {
        const seen: RunBody[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const q: string = cursor ? `&cursor=${cursor}` : "";
          const res = await get(h, `/api/v1/imports?limit=4${q}`);
          assert.equal(res.status, 200);
          const body: { items: RunBody[]; nextCursor: string | null } = await res.json();
          assert.ok(body.items.length <= 4);
          seen.push(...body.items);
          cursor = body.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        assert.equal(pages, 4);
        assert.equal(seen.length, 14);
        assert.equal(new Set(seen.map((r) => r.id)).size, 14);
        const order = seen.map((r) => [r.createdAt, r.id] as const);
        const sorted = [...order].sort((a, b) =>
          a[0] === b[0] ? b[1] - a[1] : b[0] < a[0] ? -1 : 1
        );
        assert.deepEqual(order, sorted);
        assert.equal(seen[seen.length - 1].id, doneId);
      });

      await t.step("status filter", async () => {
        const body = await (await get(h, "/api/v1/imports?status=failed")).json();
        assert.equal(body.items.length, 4);
        assert.ok(body.items.every((r: RunBody) => r.status === "failed"));
        assert.equal(body.nextCursor, null);
        const bad = await problem(await get(h, "/api/v1/imports?status=bogus"), 400);
        assert.equal(bad.issues[0].path, "status");
      });

      await t.step("unknown run: 404; a non-numeric id or bad cursor: 400", async () => {
        const missing = await problem(await get(h, "/api/v1/imports/999999"), 404);
        assert.match(missing.detail, /999999/);
        const bad = await problem(await get(h, "/api/v1/imports/abc"), 400);
        assert.equal(bad.issues[0].path, "id");
        await problem(await get(h, "/api/v1/imports?cursor=zzz"), 400);
      });
    } finally {
      await h.close();
    }
  },
});
