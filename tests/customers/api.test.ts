/**
 * The customers API as the platform uses it: roles, validation, problems, pagination, the
 * OpenAPI description of the outbound contract. Exports are not run here (no 1C address).
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";
import { api, expect } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test({
  name: "customers API: register, read, edit, list; roles and problems",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("customers-api", { workers: false });
    try {
      let anna: Json;

      await t.step("POST registers (platform, admin); a reader may not", async () => {
        const body = {
          email: " Anna@Example.com ",
          phone: "+7 912 345-67-89",
          customerType: "individual",
          firstName: "Анна",
          lastName: "Смирнова",
        };
        const denied = await expect(await api(h, "POST", "/api/v1/customers", body, "reader"), 403);
        assertEquals(denied.status, 403);
        anna = await expect(await api(h, "POST", "/api/v1/customers", body), 201);
        assertEquals(Object.keys(anna).sort(), [
          "address",
          "companyName",
          "contactPerson",
          "createdAt",
          "createdIn1c",
          "customerType",
          "email",
          "firstName",
          "id",
          "kpp",
          "lastName",
          "lastSyncAt",
          "needs1cExport",
          "onecId",
          "phone",
          "role",
          "syncErrorMessage",
          "syncStatus",
          "taxId",
          "updatedAt",
        ]);
        assertEquals(
          [anna.email, anna.syncStatus, anna.needs1cExport, anna.createdIn1c, anna.onecId],
          ["Anna@Example.com", "pending", true, false, null],
        );
        await expect(
          await api(h, "POST", "/api/v1/customers", {
            email: "b@example.com",
            customerType: "legal_entity",
            companyName: "Б",
          }, "admin"),
          201,
        );
      });

      await t.step(
        "invalid bodies are 400 with issues, a nameless customer 422, a taken email 409",
        async () => {
          const bad = await expect(
            await api(h, "POST", "/api/v1/customers", {
              email: "not-an-email",
              customerType: "person",
              taxId: "123",
              unknown: 1,
            }),
            400,
          );
          const paths = bad.issues.map((i: Json) => i.path).sort();
          assert(
            paths.includes("email") && paths.includes("customerType") && paths.includes("taxId"),
            paths,
          );
          const nameless = await expect(
            await api(h, "POST", "/api/v1/customers", {
              email: "c@example.com",
              customerType: "legal_entity",
            }),
            422,
          );
          assertMatch(nameless.detail, /companyName/);
          const taken = await expect(
            await api(h, "POST", "/api/v1/customers", {
              email: "ANNA@example.com",
              customerType: "individual",
              firstName: "Другая",
            }),
            409,
          );
          assertMatch(taken.detail, new RegExp(anna.id));
        },
      );

      await t.step("GET one, PATCH, 404 and 400 for ids", async () => {
        assertEquals(
          (await expect(
            await api(h, "GET", `/api/v1/customers/${anna.id}`, undefined, "reader"),
            200,
          )).id,
          anna.id,
        );
        await expect(
          await api(h, "GET", "/api/v1/customers/00000000-0000-4000-8000-000000000000"),
          404,
        );
        await expect(await api(h, "GET", "/api/v1/customers/not-a-uuid"), 400);
        await expect(
          await api(h, "PATCH", "/api/v1/customers/00000000-0000-4000-8000-000000000000", {
            role: "x",
          }),
          404,
        );
        await expect(
          await api(h, "PATCH", `/api/v1/customers/${anna.id}`, { role: "x" }, "reader"),
          403,
        );
        const edited = await expect(
          await api(h, "PATCH", `/api/v1/customers/${anna.id}`, { role: "Опт", address: null }),
          200,
        );
        assertEquals([edited.role, edited.needs1cExport], ["Опт", true]);
        await expect(
          await api(h, "PATCH", `/api/v1/customers/${anna.id}`, { email: "b@example.com" }),
          409,
        );
        await expect(
          await api(h, "PATCH", `/api/v1/customers/${anna.id}`, {
            firstName: null,
            lastName: null,
          }),
          422,
        );
      });

      await t.step("lists page with a cursor and filter", async () => {
        for (let i = 0; i < 5; i++) {
          await expect(
            await api(h, "POST", "/api/v1/customers", {
              email: `page${i}@example.com`,
              customerType: "individual",
              lastName: `Page ${i}`,
            }),
            201,
          );
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
          const page: Json = await expect(
            await api(h, "GET", `/api/v1/customers?limit=3${q}`),
            200,
          );
          assertEquals(page.total, 7);
          seen.push(...page.items.map((c: Json) => c.id));
          cursor = page.nextCursor;
        } while (cursor);
        assertEquals(seen.length, 7);
        assertEquals(new Set(seen).size, 7);
        assertEquals(seen[0], anna.id, "registration order");
        const byEmail = await expect(
          await api(h, "GET", "/api/v1/customers?email=ANNA@example.com"),
          200,
        );
        assertEquals(byEmail.items.map((c: Json) => c.id), [anna.id]);
        await expect(await api(h, "GET", "/api/v1/customers?cursor=garbage"), 400);
        const pending = await expect(
          await api(h, "GET", "/api/v1/customers?needs1cExport=true&limit=1000"),
          200,
        );
        assertEquals(pending.total, 7);
      });

      await t.step("stats, conflicts and dead letters answer when there is nothing", async () => {
        const s = await expect(await api(h, "GET", "/api/v1/customers/sync-stats"), 200);
        assertEquals(
          [s.exportedToday, s.successRate, s.pending, s.deadLettered, s.averageSecondsToSynced],
          [0, null, 7, 0, null],
        );
        assertEquals(
          (await expect(await api(h, "GET", "/api/v1/customers/conflicts"), 200)).items,
          [],
        );
        assertEquals(
          (await expect(await api(h, "GET", "/api/v1/customers/dead-letters"), 200)).items,
          [],
        );
        await expect(
          await api(
            h,
            "POST",
            "/api/v1/customers/dead-letters/00000000-0000-4000-8000-000000000000/retry",
          ),
          404,
        );
        await expect(await api(h, "GET", "/api/v1/customers/imports/999"), 404);
      });

      await t.step("the OpenAPI document carries the outbound contract for 1C", async () => {
        const doc = await (await h.app.request("/openapi.json")).json();
        const post = doc.paths["/api/v1/customers"].post;
        assertMatch(post.description, /POST \{ONEC_HTTP_URL\}\/customers/);
        assertMatch(post.description, /PUT \{ONEC_HTTP_URL\}\/customers\/\{Ид\}/);
        assertMatch(post.description, /409/);
        const body = doc.components.schemas.OnecCustomerRequest;
        assertEquals(Object.keys(body.properties).sort(), [
          "company_name",
          "contact_person",
          "customer_type",
          "email",
          "first_name",
          "kpp",
          "last_name",
          "phone",
          "platform_id",
          "role",
          "tax_id",
        ]);
        assert(doc.components.schemas.OnecCustomerReply);
        for (
          const path of [
            "/api/v1/customers/{id}",
            "/api/v1/customers/conflicts",
            "/api/v1/customers/conflicts/{id}/resolve",
            "/api/v1/customers/sync-stats",
            "/api/v1/customers/dead-letters",
            "/api/v1/customers/dead-letters/{jobId}/retry",
            "/api/v1/customers/imports",
            "/api/v1/customers/imports/{id}",
          ]
        ) assert(doc.paths[path], path);
      });
    } finally {
      await h.close();
    }
  },
});
