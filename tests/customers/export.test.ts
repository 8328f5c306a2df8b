/**
 * Platform → 1C: registrations and edits reach a fake 1C HTTP service (a real local server)
 * through the real pg-boss export queue, with failures, timeouts, rejections, 409s, the dead
 * letter queue and coalescing of quick edits. Retry delays are 0 here (configuration); the
 * production timing is computed and checked in schedule.test.ts.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { startCustomerWorkers } from "../../src/customers/workers.ts";
import { CUSTOMER_QUEUES } from "../../src/customers/queues.ts";
import { FakeOnec } from "./fakes/fake-onec.ts";
import { api, expect, waitFor } from "./helpers.ts";

const LOGIN = "site";
const PASSWORD = "секрет-1c";

// deno-lint-ignore no-explicit-any
type Json = any;

async function customer(h: Harness, id: string): Promise<Json> {
  return await expect(await api(h, "GET", `/api/v1/customers/${id}`), 200);
}

function register(h: Harness, email: string, extra: Record<string, unknown> = {}) {
  return api(h, "POST", "/api/v1/customers", {
    email,
    phone: "8 (912) 000-00-01",
    customerType: "legal_entity",
    companyName: `Company ${email}`,
    taxId: "7707083893",
    kpp: "773601001",
    role: "Опт",
    contactPerson: "Иван Петров",
    ...extra,
  });
}

async function synced(h: Harness, id: string): Promise<Json> {
  return await waitFor(`customer ${id} synced`, async () => {
    const c = await customer(h, id);
    return c.syncStatus === "synced" && !c.needs1cExport ? c : null;
  });
}

async function queuedJobs(h: Harness, customerId: string) {
  return await h.ctx.boss.findJobs(CUSTOMER_QUEUES.export.name, {
    key: customerId,
    queued: true,
  });
}

Deno.test({
  name: "customers reach 1C: retries, rejections, timeouts, 409, dead letters, coalesced edits",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const fake = new FakeOnec({ login: LOGIN, password: PASSWORD });
    const h = await createHarness("customers-export", {
      workers: false,
      env: {
        ONEC_HTTP_URL: fake.url,
        ONEC_HTTP_LOGIN: LOGIN,
        ONEC_HTTP_PASSWORD: PASSWORD,
        ONEC_HTTP_TIMEOUT_SECONDS: "1",
        CUSTOMER_EXPORT_RETRY_LIMIT: "3",
        CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: "0",
        CUSTOMER_EXPORT_DEBOUNCE_SECONDS: "0",
      },
    });
    let stopWorkers = await startCustomerWorkers(h.ctx);
    try {
      let first: Json;

      await t.step(
        "a registration is answered at once and reaches 1C after 3 failures",
        async () => {
          const email = "retry@example.com";
          fake.failTimes(email, 3, 503);
          const created = await expect(await register(h, email), 201);
          assertEquals([created.syncStatus, created.needs1cExport, created.onecId], [
            "pending",
            true,
            null,
          ]);
          first = await synced(h, created.id);
          const calls = fake.about(email);
          assertEquals(calls.map((r) => [r.method, r.path, r.status]), [
            ["POST", "/customers", 503],
            ["POST", "/customers", 503],
            ["POST", "/customers", 503],
            ["POST", "/customers", 201],
          ]);
          assertEquals(first.onecId, "onec-1");
          assertEquals(first.syncErrorMessage, null);
          assert(first.lastSyncAt !== null);
          const last = calls[3];
          assertEquals(
            last.authorization,
            "Basic " +
              btoa(String.fromCharCode(...new TextEncoder().encode(`${LOGIN}:${PASSWORD}`))),
          );
          assertMatch(last.contentType ?? "", /^application\/json/);
          assertEquals(last.body, {
            platform_id: created.id,
            email,
            phone: "+79120000001",
            customer_type: "legal_entity",
            first_name: null,
            last_name: null,
            company_name: `Company ${email}`,
            tax_id: "7707083893",
            kpp: "773601001",
            contact_person: "Иван Петров",
            role: "Опт",
          });
          const log = await expect(
            await api(h, "GET", `/api/v1/customers/${created.id}/sync-log`),
            200,
          );
          const exports = log.items.filter((i: Json) => i.operation === "export_to_1c");
          assertEquals(exports.map((i: Json) => i.status), ["success", "error", "error", "error"]);
          assertEquals(exports[1].errorMessage, "1C answered 503: scripted failure");
        },
      );

      await t.step("a 400 is final: syncStatus=error with 1C's message, no retry", async () => {
        const email = "rejected@example.com";
        fake.script(email, {
          kind: "fail",
          status: 400,
          body: JSON.stringify({ error: "ИНН не прошёл проверку" }),
        });
        const created = await expect(await register(h, email), 201);
        const failed = await waitFor("rejection recorded", async () => {
          const c = await customer(h, created.id);
          return c.syncStatus === "error" ? c : null;
        });
        assertEquals(
          failed.syncErrorMessage,
          "1C rejected the customer (400): ИНН не прошёл проверку",
        );
        assertEquals(failed.needs1cExport, true, "1C still does not have it");
        // The job completed: nothing waits to try again.
        const jobs = await h.ctx.boss.findJobs(CUSTOMER_QUEUES.export.name, { key: created.id });
        assertEquals(jobs.map((j) => j.state), ["completed"]);
        assertEquals(fake.about(email).length, 1);
        // Fixed in 1C: sent again on request, with a fresh retry budget.
        const path = `/api/v1/customers/${created.id}/export`;
        await expect(await api(h, "POST", path, undefined, "reader"), 403);
        assertEquals((await expect(await api(h, "POST", path), 202)).customerId, created.id);
        const sent = await synced(h, created.id);
        assertEquals(sent.syncErrorMessage, null);
        assertEquals(fake.about(email).map((r) => r.status), [400, 201]);
      });

      await t.step("409 with an Ид: 1C already has the customer, which gets linked", async () => {
        const email = "known@example.com";
        fake.script(email, { kind: "conflict", id: "onec-existing-77" });
        const created = await expect(await register(h, email), 201);
        const c = await synced(h, created.id);
        assertEquals(c.onecId, "onec-existing-77");
        assertEquals(fake.about(email).map((r) => r.status), [409]);
      });

      await t.step("no answer within ONEC_HTTP_TIMEOUT_SECONDS counts as a failure", async () => {
        const email = "slow@example.com";
        fake.script(email, { kind: "hang" });
        const created = await expect(await register(h, email), 201);
        const c = await synced(h, created.id);
        assertEquals(fake.about(email).length, 2);
        const log = await expect(
          await api(h, "GET", `/api/v1/customers/${c.id}/sync-log`),
          200,
        );
        assertEquals(
          log.items.find((i: Json) => i.status === "error").errorMessage,
          "1C did not answer within 1 s",
        );
      });

      await t.step("retries exhausted: dead letter, then retried through the API", async () => {
        const email = "down@example.com";
        fake.failTimes(email, 4, 502); // the first attempt and 3 retries
        const created = await expect(await register(h, email), 201);
        const letter = await waitFor("dead letter", async () => {
          const page = await expect(await api(h, "GET", "/api/v1/customers/dead-letters"), 200);
          return page.items.find((i: Json) => i.customerId === created.id);
        });
        assertEquals(letter.attempts, 4);
        assertEquals(letter.error, "1C answered 502: scripted failure");
        const c = await customer(h, created.id);
        assertEquals(c.syncStatus, "error");
        assertEquals(
          c.syncErrorMessage,
          "gave up after 4 attempts: 1C answered 502: scripted failure",
        );
        const stats = await expect(await api(h, "GET", "/api/v1/customers/sync-stats"), 200);
        assertEquals(stats.deadLettered, 1);

        const path = `/api/v1/customers/dead-letters/${letter.jobId}/retry`;
        await expect(await api(h, "POST", path, undefined, "reader"), 403);
        const retried = await expect(await api(h, "POST", path), 202);
        assertEquals(retried.customerId, created.id);
        await expect(await api(h, "POST", path), 404); // it left the dead letter queue
        const done = await synced(h, created.id);
        assertEquals(done.syncErrorMessage, null);
        assertEquals(fake.about(email).map((r) => r.status), [502, 502, 502, 502, 201]);
        const after = await expect(await api(h, "GET", "/api/v1/customers/dead-letters"), 200);
        assertEquals(after.items.filter((i: Json) => i.customerId === created.id), []);
      });

      await t.step("quick edits of significant fields reach 1C as one update", async () => {
        await stopWorkers(); // hold the queue so the edits certainly land before the job runs
        for (const phone of ["+7 912 000-00-02", "+7 912 000-00-03", "+7 912 000-00-04"]) {
          const saved = await expect(
            await api(h, "PATCH", `/api/v1/customers/${first.id}`, { phone }),
            200,
          );
          assertEquals([saved.needs1cExport, saved.syncStatus], [true, "pending"]);
        }
        await expect(
          await api(h, "PATCH", `/api/v1/customers/${first.id}`, { firstName: "Анна" }),
          200,
        );
        assertEquals((await queuedJobs(h, first.id)).length, 1, "one pending job per customer");
        const before = fake.about(first.email).length;
        stopWorkers = await startCustomerWorkers(h.ctx);
        await synced(h, first.id);
        const sent = fake.about(first.email).slice(before);
        assertEquals(sent.map((r) => [r.method, r.path]), [["PUT", "/customers/onec-1"]]);
        assertEquals([sent[0].body?.phone, sent[0].body?.first_name], ["+79120000004", "Анна"]);
      });

      await t.step(
        "insignificant edits, and edits that change nothing 1C has, send nothing",
        async () => {
          for (
            const patch of [
              { address: "Москва, Тверская 1", contactPerson: "Мария" },
              { email: first.email.toUpperCase() },
              { phone: "8 912 000 00 04" },
            ]
          ) {
            const saved = await expect(
              await api(h, "PATCH", `/api/v1/customers/${first.id}`, patch),
              200,
            );
            assertEquals([saved.needs1cExport, saved.syncStatus], [false, "synced"]);
            assertEquals(await queuedJobs(h, first.id), [], JSON.stringify(patch));
          }
        },
      );

      await t.step("an edit undone before its job ran sends nothing", async () => {
        await stopWorkers();
        const before = fake.about(first.email.toLowerCase()).length;
        await expect(
          await api(h, "PATCH", `/api/v1/customers/${first.id}`, { kpp: "773601002" }),
          200,
        );
        const undone = await expect(
          await api(h, "PATCH", `/api/v1/customers/${first.id}`, { kpp: "773601001" }),
          200,
        );
        assertEquals(undone.needs1cExport, false);
        const [job] = await queuedJobs(h, first.id);
        stopWorkers = await startCustomerWorkers(h.ctx);
        await waitFor("the job to finish", async () => {
          const [j] = await h.ctx.boss.findJobs(CUSTOMER_QUEUES.export.name, { id: job.id });
          return j?.state === "completed";
        });
        assertEquals(fake.about(first.email.toLowerCase()).length, before);
      });

      await t.step("sync stats", async () => {
        const s = await expect(
          await api(h, "GET", "/api/v1/customers/sync-stats", undefined, "reader"),
          200,
        );
        assertEquals(s.exportedToday, 6, "5 registrations and 1 update reached 1C");
        assert(s.failedAttemptsToday >= 3 + 1 + 1 + 4, JSON.stringify(s));
        assertEquals(s.successRate, s.exportedToday / (s.exportedToday + s.failedAttemptsToday));
        assertEquals([s.pending, s.deadLettered, s.errors, s.openConflicts], [0, 0, 0, 0]);
        assert(typeof s.averageSecondsToSynced === "number" && s.averageSecondsToSynced > 0);
      });
    } finally {
      await stopWorkers();
      await h.close();
      await fake.close();
    }
  },
});
