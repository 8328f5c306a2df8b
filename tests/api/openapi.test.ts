/**
 * /openapi.json describes every /api route the composed app serves, and /docs works offline.
 */
// node:assert, not @std/assert: JSR is out of reach where this runs, npm and Deno's node: are not.
import assert from "node:assert/strict";
import { createHarness } from "../helpers/harness.ts";

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, { type: string; scheme: string }>;
  };
}

Deno.test({
  name: "OpenAPI document and docs page",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("api-openapi", { workers: false });
    try {
      const res = await h.app.request("/openapi.json");
      assert.equal(res.status, 200, "served without a token");
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const doc: Doc = await res.json();

      await t.step("declares the bearer scheme and the problem schema", () => {
        assert.match(doc.openapi, /^3\./);
        const schemes = Object.entries(doc.components.securitySchemes);
        assert.equal(schemes.length, 1);
        assert.deepEqual([schemes[0][1].type, schemes[0][1].scheme], ["http", "bearer"]);
        assert.ok(doc.components.schemas.Problem);
        assert.ok(doc.components.schemas.Product);
      });

      await t.step("lists exactly the /api routes the app serves", () => {
        const served = new Set<string>();
        for (const r of h.app.routes) {
          // Middleware (app.use) registers as ALL; everything outside /api/ is not the read API.
          if (r.method === "ALL" || !r.path.startsWith("/api/")) continue;
          served.add(`${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, "{$1}")}`);
        }
        const documented = new Set<string>();
        for (const [path, item] of Object.entries(doc.paths)) {
          for (const method of Object.keys(item)) documented.add(`${method} ${path}`);
        }
        assert.ok(served.size >= 7, [...served].join(", "));
        assert.deepEqual([...documented].sort(), [...served].sort());
        for (
          const route of [
            "get /api/v1/products",
            "get /api/v1/products/{onecId}",
            "get /api/v1/categories",
            "get /api/v1/price-types",
            "get /api/v1/warehouses",
            "get /api/v1/imports",
            "get /api/v1/imports/{id}",
          ]
        ) {
          assert.ok(documented.has(route), route);
        }
      });

      await t.step("every operation needs the token and documents its errors", () => {
        const scheme = Object.keys(doc.components.securitySchemes)[0];
        for (const [path, item] of Object.entries(doc.paths)) {
          for (const [method, op] of Object.entries(item)) {
            const where = `${method} ${path}`;
            assert.deepEqual(op.security, [{ [scheme]: [] }], where);
            const ok = Object.keys(op.responses).find((code) => /^2\d\d$/.test(code));
            assert.ok(ok, `${where}: no success response`);
            if (ok !== "204") {
              assert.ok(op.responses[ok]?.content?.["application/json"]?.schema, where);
            }
            for (const code of ["401", "500"]) {
              assert.equal(
                op.responses[code]?.content?.["application/problem+json"]?.schema?.$ref,
                "#/components/schemas/Problem",
                `${where} ${code}`,
              );
            }
            if (path.includes("{")) {
              assert.ok(op.responses["404"], `${where} 404`);
            }
            if (op.parameters?.some((p) => p.in === "query")) {
              assert.ok(op.responses["400"], `${where} 400`);
            }
          }
        }
      });

      await t.step("/docs is self-contained HTML", async () => {
        const page = await h.app.request("/docs");
        assert.equal(page.status, 200, "served without a token");
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
        const html = await page.text();
        assert.match(html, /openapi\.json/);
        assert.doesNotMatch(html, /https?:\/\//i);
        assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\/\//i, "no protocol-relative URLs");
        assert.doesNotMatch(html, /<script[^>]+src=/i, "no external scripts");
        assert.doesNotMatch(html, /<link[^>]+stylesheet/i, "no external styles");
      });
    } finally {
      await h.close();
    }
  },
});
