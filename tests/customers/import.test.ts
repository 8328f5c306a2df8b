/**
 * 1C → platform: Контрагенты files through importCounterparties and the import job, against a
 * real database: each identity path (Ид, email, phone + name, none), each conflict type and its
 * resolutions, "latest change wins", idempotent re-imports, buyers of order documents.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { importCounterparties, resolveBuyer } from "../../src/customers/import-counterparties.ts";
import { startCustomerWorkers } from "../../src/customers/workers.ts";
import { CUSTOMER_QUEUES } from "../../src/customers/queues.ts";
import { api, bytesOf, expect, fileBytes, SAMPLES, waitFor } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Cp {
  id: string;
  version?: string;
  name?: string;
  official?: string;
  last?: string;
  first?: string;
  inn?: string;
  kpp?: string;
  email?: string;
  phone?: string;
  role?: string;
}

function cp(c: Cp): string {
  const el = (name: string, v?: string) => (v === undefined ? "" : `<${name}>${v}</${name}>`);
  const contacts = [
    c.email ? `<Контакт><Тип>Электронная почта</Тип><Значение>${c.email}</Значение></Контакт>` : "",
    c.phone ? `<Контакт><Тип>Телефон мобильный</Тип><Значение>${c.phone}</Значение></Контакт>` : "",
  ].join("");
  return `<Контрагент>${el("Ид", c.id)}${el("НомерВерсии", c.version ?? "v1")}
    ${el("Наименование", c.name ?? c.official ?? [c.last, c.first].filter(Boolean).join(" "))}
    ${el("ОфициальноеНаименование", c.official)}${el("Фамилия", c.last)}${el("Имя", c.first)}
    ${el("ИНН", c.inn)}${el("КПП", c.kpp)}<Роль>Покупатель</Роль>
    ${contacts ? `<Контакты>${contacts}</Контакты>` : ""}
    ${
    c.role
      ? `<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Ценовая группа</Наименование><Значение>${c.role}</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>`
      : ""
  }</Контрагент>`;
}

/** A Контрагенты file written by 1C at `date` (Moscow wall-clock time). */
function directory(date: string, ...cps: Cp[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.09" ДатаФормирования="${date}">
<Контрагенты СодержитТолькоИзменения="true">${cps.map(cp).join("\n")}</Контрагенты>
</КоммерческаяИнформация>`;
}

function run(h: Harness, xml: string) {
  return importCounterparties(h.ctx, bytesOf(xml, 113), { runLabel: "test.xml", batchSize: 2 });
}

async function byOnecId(h: Harness, onecId: string) {
  return await h.ctx.db.selectFrom("customers").selectAll().where("onec_id", "=", onecId)
    .executeTakeFirstOrThrow();
}

async function byId(h: Harness, id: string) {
  return await h.ctx.db.selectFrom("customers").selectAll().where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function openConflicts(h: Harness): Promise<Json[]> {
  return (await expect(await api(h, "GET", "/api/v1/customers/conflicts"), 200)).items;
}

function resolve(h: Harness, id: number, resolution: string) {
  return api(h, "POST", `/api/v1/customers/conflicts/${id}/resolve`, { resolution });
}

const counts = (r: Json) => [r.created, r.updated, r.unchanged, r.conflicts, r.skipped];

Deno.test({
  name: "counterparties from 1C: identity resolution, conflicts, latest change wins",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("customers-import", { workers: false });
    try {
      await t.step(
        "the sample directory creates synced customers; a re-import changes nothing",
        async () => {
          const sample = new URL(
            "ArgentCrusade__commerceml/tests/fixtures/contractors-example.xml",
            SAMPLES,
          );
          const first = await importCounterparties(h.ctx, fileBytes(sample), {
            runLabel: "contractors",
          });
          assertEquals(counts(first), [4, 0, 0, 0, 0]);
          const uyt = await byOnecId(h, "021e0e3f-e329-11db-95d9-505054503030");
          assertEquals(
            [uyt.created_in_1c, uyt.sync_status, uyt.needs_1c_export, uyt.customer_type],
            [true, "synced", false, "legal_entity"],
          );
          assertEquals([uyt.email_normalized, uyt.phone_e164, uyt.company_name], [
            "uyt@komp.kz",
            "+73272253939",
            'ТОО "ТД Уют"',
          ]);
          const again = await importCounterparties(h.ctx, fileBytes(sample), { runLabel: "again" });
          assertEquals(counts(again), [0, 0, 4, 0, 0]);
          const audit = await expect(
            await api(h, "GET", `/api/v1/customers/imports/${again.runId}`),
            200,
          );
          assertEquals([audit.status, audit.label, audit.counts.unchanged], [
            "success",
            "again",
            4,
          ]);
          assert(audit.durationSeconds !== null);
          const log = await h.ctx.db.selectFrom("customer_sync_log").select(["status", "details"])
            .where("customer_id", "=", uyt.id).orderBy("id").execute();
          assertEquals(log.map((l) => [l.status, l.details.action]), [
            ["success", "created"],
            ["skipped", "unchanged"],
          ]);
        },
      );

      await t.step("by Ид: a newer version updates, an older file is skipped", async () => {
        const id = "4141d5ec-e2a6-11db-95d9-505054503030";
        const r = await run(
          h,
          directory("2016-01-01T10:00:00", {
            id,
            version: "v2",
            official: 'ТОО "Алтай Плюс"',
            inn: "181310839110",
            phone: "8 (701) 111-22-33",
          }),
        );
        assertEquals(counts(r), [0, 1, 0, 0, 0]);
        const altai = await byOnecId(h, id);
        assertEquals([altai.company_name, altai.phone_e164], ['ТОО "Алтай Плюс"', "+77011112233"]);
        const stale = await run(
          h,
          directory("2015-01-01T10:00:00", { id, version: "v0", official: "ТОО Старое" }),
        );
        assertEquals(counts(stale), [0, 0, 0, 0, 1]);
        assertMatch(stale.errors[0], /older than the 1C data already imported/);
        assertEquals((await byOnecId(h, id)).company_name, 'ТОО "Алтай Плюс"');
      });

      await t.step(
        "by email (trimmed, any case): the registered customer gets linked",
        async () => {
          const registered = await expect(
            await api(h, "POST", "/api/v1/customers", {
              email: "Buyer.One@Example.com",
              customerType: "legal_entity",
              companyName: "Buyer One",
            }),
            201,
          );
          const r = await run(
            h,
            directory("2030-01-01T00:00:00", {
              id: "x-email",
              official: "ООО Байер Ван",
              email: "  buyer.one@EXAMPLE.com ",
              kpp: "773601001",
            }),
          );
          assertEquals(counts(r), [0, 1, 0, 0, 0]);
          const linked = await byId(h, registered.id);
          assertEquals([linked.onec_id, linked.created_in_1c], ["x-email", false]);
          assertEquals(
            linked.company_name,
            "ООО Байер Ван",
            "1C's file is later than the registration",
          );
        },
      );

      await t.step("by phone and full name: linked; same phone, other name: created", async () => {
        const registered = await expect(
          await api(h, "POST", "/api/v1/customers", {
            email: "ivanov@example.com",
            phone: "8 (916) 555-44-33",
            customerType: "individual",
            firstName: "Иван",
            lastName: "Иванов",
          }),
          201,
        );
        const r = await run(
          h,
          directory(
            "2030-01-01T00:00:00",
            { id: "x-phone", last: "ИВАНОВ", first: "иван", phone: "+7 916 5554433" },
            { id: "x-other", last: "Петров", first: "Иван", phone: "+7 916 5554433" },
          ),
        );
        assertEquals(counts(r), [1, 1, 0, 0, 0]);
        assertEquals((await byId(h, registered.id)).onec_id, "x-phone");
        assertEquals((await byOnecId(h, "x-other")).created_in_1c, true);
        const log = await h.ctx.db.selectFrom("customer_sync_log").select("details")
          .where("customer_id", "=", registered.id).where("operation", "=", "import_from_1c")
          .executeTakeFirstOrThrow();
        assertEquals(log.details.match, "phone_name");
      });

      await t.step(
        "email linked to another Ид: a conflict, nothing overwritten; keep_platform",
        async () => {
          const uyt = await byOnecId(h, "021e0e3f-e329-11db-95d9-505054503030");
          const xml = directory("2030-01-01T00:00:00", {
            id: "x-dup",
            official: "Другой Уют",
            email: "UYT@komp.kz",
          });
          const r = await run(h, xml);
          assertEquals(counts(r), [0, 0, 0, 1, 0]);
          const after = await byId(h, uyt.id);
          assertEquals([after.onec_id, after.company_name, after.sync_status], [
            uyt.onec_id,
            uyt.company_name,
            "conflict",
          ]);
          assertEquals(
            await h.ctx.db.selectFrom("customers").select("id").where("onec_id", "=", "x-dup")
              .execute(),
            [],
          );
          const [conflict] = await openConflicts(h);
          assertEquals([conflict.kind, conflict.onecId, conflict.customerId], [
            "email_linked_to_other",
            "x-dup",
            uyt.id,
          ]);
          assertEquals(conflict.onecValues.companyName, "Другой Уют");
          assertEquals(conflict.platformValues.companyName, 'ТОО "ТД Уют"');
          assertEquals(conflict.platformValues.emailHeldBy, uyt.id);
          // The same record again: the same question, not a second one.
          assertEquals(counts(await run(h, xml)), [0, 0, 0, 1, 0]);
          assertEquals((await openConflicts(h)).length, 1);

          await expect(await resolve(h, conflict.id, "keep_platform").then((r) => r), 200);
          assertEquals(await openConflicts(h), []);
          assertEquals((await byId(h, uyt.id)).sync_status, "synced");
          await expect(await resolve(h, conflict.id, "take_1c"), 409);
          await expect(await resolve(h, 999999, "take_1c"), 404);
          // Answered: the record stays unapplied and asks nothing again.
          assertEquals(counts(await run(h, xml)), [0, 0, 0, 0, 1]);
        },
      );

      await t.step("email conflicts resolved with take_1c and merge", async () => {
        await run(
          h,
          directory(
            "2020-01-01T00:00:00",
            { id: "z-1", official: "Зет", email: "z@example.com" },
            { id: "m-1", official: "Эм", email: "m@example.com" },
          ),
        );
        await run(
          h,
          directory(
            "2030-01-01T00:00:00",
            { id: "z-2", official: "Зет Новый", email: "z@example.com", inn: "7707083893" },
            { id: "m-2", official: "Эм Новый", email: "m@example.com", phone: "8 903 111 22 33" },
          ),
        );
        const conflicts = await openConflicts(h);
        assertEquals(conflicts.map((c: Json) => c.onecId).sort(), ["m-2", "z-2"]);
        const take = conflicts.find((c: Json) => c.onecId === "z-2");
        const merge = conflicts.find((c: Json) => c.onecId === "m-2");

        const taken = await expect(await resolve(h, take.id, "take_1c"), 200);
        assertEquals(
          [taken.customer.onecId, taken.customer.companyName, taken.customer.taxId],
          ["z-2", "Зет Новый", "7707083893"],
        );
        assertEquals([taken.customer.syncStatus, taken.customer.needs1cExport], ["synced", false]);

        const merged = await expect(await resolve(h, merge.id, "merge"), 200);
        assertEquals(
          [merged.customer.onecId, merged.customer.companyName, merged.customer.phone],
          ["m-2", "Эм", "8 903 111 22 33"],
          "merge keeps the platform's values and fills its empty fields",
        );
        assertEquals([merged.customer.syncStatus, merged.customer.needs1cExport], [
          "pending",
          true,
        ]);
        assertEquals(merged.conflict.resolution, "merge");
      });

      await t.step(
        "field mismatch: the later change wins, by 1C's date against updatedAt",
        async () => {
          await run(
            h,
            directory("2024-01-01T00:00:00", { id: "l-1", official: "Эл", phone: "+79000000001" }),
          );
          const customer = await byOnecId(h, "l-1");
          await expect(
            await api(h, "PATCH", `/api/v1/customers/${customer.id}`, { companyName: "Эл (сайт)" }),
            200,
          );
          // 1C wrote this before the platform's edit: the edit stays and goes to 1C.
          const older = await run(
            h,
            directory("2024-01-02T00:00:00", {
              id: "l-1",
              version: "v2",
              official: "Эл 1С",
              phone: "+79000000002",
            }),
          );
          assertEquals(counts(older), [0, 1, 0, 0, 0]);
          let now = await byId(h, customer.id);
          assertEquals([now.company_name, now.phone_e164, now.needs_1c_export], [
            "Эл (сайт)",
            "+79000000001",
            true,
          ]);
          // The platform's edit was long ago; 1C's newer data wins.
          await sql`UPDATE customers SET updated_at = '2020-01-01' WHERE id = ${customer.id}::uuid`
            .execute(h.ctx.db);
          const newer = await run(
            h,
            directory("2024-01-03T00:00:00", {
              id: "l-1",
              version: "v3",
              official: "Эл 1С",
              phone: "+79000000003",
            }),
          );
          assertEquals(counts(newer), [0, 1, 0, 0, 0]);
          now = await byId(h, customer.id);
          assertEquals([now.company_name, now.phone_e164, now.last_change_source], [
            "Эл 1С",
            "+79000000003",
            "1c",
          ]);
        },
      );

      await t.step(
        "a price-group change goes to review; the rest of the record applies",
        async () => {
          await run(
            h,
            directory("2024-01-01T00:00:00", { id: "r-1", official: "Эр", role: "Опт" }),
          );
          await run(h, directory("2024-01-01T00:00:00", { id: "r-0", official: "Эр0" }));
          const r = await run(
            h,
            directory(
              "2024-02-01T00:00:00",
              { id: "r-1", version: "v2", official: "Эр", role: "Розница", phone: "+79001112233" },
              { id: "r-0", version: "v2", official: "Эр0", role: "Опт" },
            ),
          );
          assertEquals(counts(r), [0, 1, 0, 1, 0], "a first price group is no change to review");
          assertEquals((await byOnecId(h, "r-0")).role, "Опт");
          const rOne = await byOnecId(h, "r-1");
          assertEquals([rOne.role, rOne.phone_e164, rOne.sync_status], [
            "Опт",
            "+79001112233",
            "conflict",
          ]);
          const [conflict] = await openConflicts(h);
          assertEquals([conflict.kind, conflict.platformValues.role, conflict.onecValues.role], [
            "role_change",
            "Опт",
            "Розница",
          ]);
          await expect(await resolve(h, conflict.id, "merge"), 422);
          const taken = await expect(await resolve(h, conflict.id, "take_1c"), 200);
          assertEquals([taken.customer.role, taken.customer.syncStatus], ["Розница", "synced"]);

          await run(
            h,
            directory("2024-03-01T00:00:00", {
              id: "r-1",
              version: "v3",
              official: "Эр",
              role: "VIP",
            }),
          );
          const [again] = await openConflicts(h);
          const kept = await expect(await resolve(h, again.id, "keep_platform"), 200);
          assertEquals(
            [kept.customer.role, kept.customer.needs1cExport, kept.customer.syncStatus],
            [
              "Розница",
              true,
              "pending",
            ],
          );
          const jobs = await h.ctx.boss.findJobs(CUSTOMER_QUEUES.export.name, {
            key: kept.customer.id,
            queued: true,
          });
          assertEquals(jobs.length, 1, "the platform's price group is sent to 1C");
        },
      );

      await t.step(
        "buyers of order documents, and resolveBuyer for the sale exchange",
        async () => {
          const docs = new URL(
            "ArgentCrusade__commerceml/tests/fixtures/documents-example.xml",
            SAMPLES,
          );
          const r = await importCounterparties(h.ctx, fileBytes(docs), { runLabel: "documents" });
          assertEquals(counts(r), [1, 0, 1, 0, 0], "one buyer in two orders");
          const kikinda = await byOnecId(h, "4a65ecb6-8b1b-11df-be16-e0cb4ed5f70f");
          assertEquals([kikinda.company_name, kikinda.contact_person], [
            "Kikinda (Сербия)",
            "Смирнов Олег Иванович",
          ]);

          const buyer = { onecId: "b-1", fullName: "Сидоров Сидор", email: "sidorov@example.com" };
          const created = await resolveBuyer(h.ctx, buyer);
          assertEquals([created.created, created.conflict], [true, false]);
          const again = await resolveBuyer(h.ctx, buyer);
          assertEquals(again, { customerId: created.customerId, created: false, conflict: false });
          const clash = await resolveBuyer(h.ctx, {
            onecId: "b-2",
            name: "X",
            email: "SIDOROV@example.com",
          });
          assertEquals(clash, { customerId: null, created: false, conflict: true });
        },
      );

      await t.step(
        "the import job: upload through the API, run audit, a bad file is not retried",
        async () => {
          const stop = await startCustomerWorkers(h.ctx);
          try {
            const xml = directory("2024-05-01T00:00:00", { id: "api-1", official: "Через API" });
            const post = (body: string, role: "admin" | "platform") =>
              h.app.request("/api/v1/customers/imports?name=directory.xml", {
                method: "POST",
                headers: {
                  Authorization: `Bearer ${
                    role === "admin" ? "dev-admin-token" : "dev-platform-token"
                  }`,
                  "Content-Type": "application/xml",
                },
                body,
              });
            await expect(await post(xml, "platform"), 403);
            const queued = await expect(await post(xml, "admin"), 202);
            assertEquals([queued.label, queued.status], ["directory.xml", "queued"]);
            const done = await waitFor("the import", async () => {
              const run = await expect(
                await api(h, "GET", `/api/v1/customers/imports/${queued.id}`),
                200,
              );
              return run.status === "success" ? run : null;
            });
            assertEquals(done.counts.created, 1);
            assertEquals(done.bytesRead, new TextEncoder().encode(xml).length);

            const bad = await expect(
              await post("<КоммерческаяИнформация><Контрагенты>", "admin"),
              202,
            );
            const failed = await waitFor("the failure", async () => {
              const run = await expect(
                await api(h, "GET", `/api/v1/customers/imports/${bad.id}`),
                200,
              );
              return run.status === "failed" ? run : null;
            });
            assertMatch(failed.error, /unexpected end of file/);
            const row = await h.ctx.db.selectFrom("customer_import_runs").select([
              "attempt",
              "job_id",
            ])
              .where("id", "=", String(bad.id)).executeTakeFirstOrThrow();
            const [job] = await h.ctx.boss.findJobs(CUSTOMER_QUEUES.import.name, {
              id: row.job_id!,
            });
            assertEquals([row.attempt, job.state], [1, "completed"]);
            await expect(
              await h.app.request("/api/v1/customers/imports", {
                method: "POST",
                headers: { Authorization: "Bearer dev-admin-token" },
              }),
              400,
            );
          } finally {
            await stop();
          }
        },
      );
    } finally {
      await h.close();
    }
  },
});
