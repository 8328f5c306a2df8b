/**
 * The admin page in-process (app.request): login, session cookie, throttling, CSRF, the runs
 * list and a run's report, starting imports (dependency rule, lock, 404/422), failed jobs
 * with retry, the integration log's filters, escaping and the security headers.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import { encodeSession, sessionKey } from "../../src/admin/session.ts";
import { loadConfig } from "../../src/config.ts";
import { QUEUES } from "../../src/queue.ts";
import * as F from "../fixtures/catalog-v208.ts";
import { AdminClient } from "./admin-client.ts";

const enc = new TextEncoder();

/** A 1C exchange through the protocol; returns its session id (the exchange id). */
async function exchange(h: Harness, files: [string, string][], importThem = true) {
  const c = new OneCClient(inProcess(h.app));
  await c.checkauth();
  await c.init();
  for (const [name, xml] of files) await c.upload(name, enc.encode(xml));
  if (importThem) { for (const [name] of files) await c.importFile(name); }
  return c.cookie.split("=")[1];
}

type RunJson = { id: number; status: string; active: boolean; file: string; errors: string };

/** Waits (by polling the page's own JSON) until no import is queued or running. */
async function settled(admin: AdminClient): Promise<RunJson[]> {
  for (let i = 0; i < 400; i++) {
    const res = await admin.request("/admin/runs.json");
    const data = await res.json();
    if (!data.active) return data.rows;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("imports did not finish");
}

const startedIds = (res: Response) =>
  (/started=([\d,]+)/.exec(res.headers.get("location") ?? "")?.[1] ?? "").split(",").map(Number);

Deno.test("admin page: login, runs, starting imports, jobs, log", async (t) => {
  const h = await createHarness("admin_page");
  try {
    await t.step("every page but the login form needs a session", async () => {
      const anon = new AdminClient(h.app, "192.0.2.1");
      const res = await anon.request("/admin");
      assertEquals(res.status, 303);
      assertEquals(res.headers.get("location"), "/admin/login");
      assertEquals((await anon.request("/admin/runs.json")).status, 401);
      assertEquals((await anon.request("/admin/runs/1")).status, 303);
      const { res: login, body } = await anon.page("/admin/login");
      assertEquals(login.status, 200);
      assertStringIncludes(body, 'name="token"');
    });

    await t.step("security headers: CSP with a nonce, no caching, no framing", async () => {
      const { res, body } = await new AdminClient(h.app).page("/admin/login");
      const csp = res.headers.get("content-security-policy") ?? "";
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      assert(nonce, csp);
      assertStringIncludes(csp, "default-src 'none'");
      assertStringIncludes(csp, "frame-ancestors 'none'");
      assertStringIncludes(body, `<script nonce="${nonce}">`);
      assertStringIncludes(body, `<style nonce="${nonce}">`);
      assertEquals(res.headers.get("cache-control"), "no-store");
      assertEquals(res.headers.get("x-frame-options"), "DENY");
      // Nothing is loaded from anywhere else.
      assertEquals(/(src|href)="https?:/.test(body), false);
    });

    await t.step("a wrong token or a non-admin token shows the form again", async () => {
      const c = new AdminClient(h.app, "192.0.2.2");
      for (const token of ["not-a-token", "dev-reader-token", "dev-platform-token"]) {
        const res = await c.post("/admin/login", { token }, { csrf: null });
        assertEquals(res.status, 401);
        const body = await res.text();
        assertStringIncludes(body, "That is not an admin token.");
        assertStringIncludes(body, 'name="token"');
        assertEquals(res.headers.get("set-cookie"), null);
      }
    });

    await t.step(
      "the admin token gets a signed, HttpOnly, SameSite=Strict 8 h cookie",
      async () => {
        const c = new AdminClient(h.app, "192.0.2.3");
        const res = await c.post("/admin/login", { token: "dev-admin-token" }, { csrf: null });
        assertEquals(res.status, 303);
        assertEquals(res.headers.get("location"), "/admin");
        const cookie = res.headers.get("set-cookie") ?? "";
        assertMatch(cookie, /^admin_session=v1\.[\w-]+\.[\w-]+;/);
        assertMatch(cookie, /HttpOnly/);
        assertMatch(cookie, /SameSite=Strict/);
        assertMatch(cookie, /Path=\/admin/);
        assertMatch(cookie, /Max-Age=28800/);
        const { res: page, body } = await c.page("/admin");
        assertEquals(page.status, 200);
        assertStringIncludes(body, "Import runs");
        assertStringIncludes(body, "Log out");
      },
    );

    await t.step("cookies: tampered or expired are refused; any instance accepts", async () => {
      const key = sessionKey(h.ctx.config.apiTokens)!;
      const c = new AdminClient(h.app, "192.0.2.4");
      // Made from the configured tokens alone, as another instance of the service would.
      c.cookie = `admin_session=${encodeSession(key, { exp: now() + 60, csrf: "x".repeat(32) })}`;
      assertEquals((await c.request("/admin")).status, 200);
      c.cookie = `admin_session=${encodeSession(key, { exp: now() - 1, csrf: "x".repeat(32) })}`;
      assertEquals((await c.request("/admin")).status, 303);
      const good = encodeSession(key, { exp: now() + 60, csrf: "x".repeat(32) });
      const forged = good.replace(/^v1\.[\w-]+/, `v1.${b64({ exp: now() + 9e6, csrf: "y" })}`);
      c.cookie = `admin_session=${forged}`;
      assertEquals((await c.request("/admin")).status, 303);
      // Another set of admin tokens: another key, so the old cookie stops working.
      const otherKey = sessionKey(
        loadConfig({ API_TOKENS: "admin:another-admin-token" }).apiTokens,
      )!;
      c.cookie = `admin_session=${
        encodeSession(otherKey, { exp: now() + 60, csrf: "z".repeat(32) })
      }`;
      assertEquals((await c.request("/admin")).status, 303);
    });

    await t.step("logins are throttled by address (scope admin-login)", async () => {
      const c = new AdminClient(h.app, "192.0.2.5");
      for (let i = 0; i < 10; i++) {
        assertEquals(
          (await c.post("/admin/login", { token: "wrong" }, { csrf: null })).status,
          401,
        );
      }
      const res = await c.post("/admin/login", { token: "dev-admin-token" }, { csrf: null });
      assertEquals(res.status, 429);
      assert(Number(res.headers.get("retry-after")) > 0);
      assertStringIncludes(await res.text(), "Too many wrong tokens");
      const scope = await h.ctx.pool.query(
        "SELECT scope FROM auth_failures WHERE client = '192.0.2.5'",
      );
      assertEquals(scope.rows[0].scope, "admin-login");
      // Another address is not affected.
      assertEquals((await new AdminClient(h.app, "192.0.2.6").login()).status, 303);
    });

    const admin = new AdminClient(h.app, "192.0.2.7");
    await admin.login();
    let notImported = "";

    await t.step("forms without the session's CSRF token are refused", async () => {
      notImported = await exchange(h, [["import.xml", F.importXml()]], false);
      const fields = { exchangeId: notImported, kind: "catalog" };
      assertEquals((await admin.post("/admin/imports", fields, { csrf: null })).status, 403);
      assertEquals((await admin.post("/admin/imports", fields, { csrf: "forged" })).status, 403);
      const anon = new AdminClient(h.app, "192.0.2.8");
      assertEquals((await anon.post("/admin/imports", fields, { csrf: admin.csrf })).status, 303);
      const huge = await admin.post("/admin/imports", { ...fields, pad: "x".repeat(70_000) });
      assertEquals(huge.status, 413);
      const runs = await h.ctx.pool.query("SELECT count(*)::int AS n FROM import_runs");
      assertEquals(runs.rows[0].n, 0, "nothing was started");
    });

    await t.step("stock sync health per marketplace is shown", async () => {
      const { body } = await admin.page("/admin");
      assertMatch(
        body,
        /data-section="stock-sync">[\s\S]*?<td>ozon<\/td>\s*<td>no credentials<\/td>/,
      );
      assertMatch(body, /<td>wildberries<\/td>/);
    });

    await t.step("customer sync stats and the (empty) conflict queue are shown", async () => {
      const { body } = await admin.page("/admin");
      assertMatch(body, /data-section="customer-sync">[\s\S]*?Exported today/);
      assertMatch(body, /data-section="conflicts">[\s\S]*?No open conflict\./);
      assertMatch(body, /value="customers" *disabled/);
    });

    let offersOnly = "";
    await t.step("offers on an empty catalog: the run fails with the dependency rule", async () => {
      offersOnly = await exchange(h, [["offers.xml", F.offersXml()]]);
      // 1C's own run failed before the file's kind was known; as if an earlier import of the
      // same file had succeeded (on a catalog since emptied), so replay knows it holds offers.
      await h.ctx.pool.query(
        `INSERT INTO import_runs (session_id, generation, file_name, kind, status)
         VALUES ($1, 0, 'offers.xml', 'offers', 'success')`,
        [offersOnly],
      );
      await admin.page("/admin");
      const res = await admin.post("/admin/imports", { exchangeId: offersOnly, kind: "offers" });
      assertEquals(res.status, 303);
      const [id] = startedIds(res);
      const rows = await settled(admin);
      const run = rows.find((r) => r.id === id)!;
      assertEquals(run.status, "failed");
      assertStringIncludes(run.errors, "import the catalog first");
      const { body } = await admin.page(`/admin/runs/${id}`);
      assertMatch(body, /id="run-error">[^<]*import the catalog first/);
    });

    let full = "";
    await t.step("the runs list shows 1C's runs; the form lists kept exchanges", async () => {
      full = await exchange(h, [["import.xml", F.importXml()], ["offers.xml", F.offersXml()]]);
      const { body } = await admin.page("/admin");
      assertMatch(body, /data-status="success">[\s\S]*?import\.xml/);
      assertMatch(body, /<table id="runs" data-active="false">/);
      // Newest exchange first, checked by default, with its files.
      const first = /name="exchangeId" value="([^"]+)"/.exec(body)?.[1];
      assertEquals(first, full);
      assertMatch(body, new RegExp(`value="${full}" checked`));
      assertStringIncludes(body, "<li>import.xml (");
      assertStringIncludes(body, "holds catalog, offers");
    });

    await t.step("starting a catalog import: a run is queued, runs, and reports", async () => {
      await admin.page("/admin");
      const res = await admin.post("/admin/imports", { exchangeId: full, kind: "catalog" });
      assertEquals(res.status, 303);
      const [id] = startedIds(res);
      assert(id > 0);
      const { body: after } = await admin.page(res.headers.get("location")!);
      assertStringIncludes(after, `Started: run #${id} (import.xml).`);
      const rows = await settled(admin);
      const run = rows.find((r) => r.id === id)!;
      assertEquals(run.status, "success");
      assertEquals(run.file, "import.xml");

      const single = await (await admin.request(`/admin/runs/${id}/status.json`)).json();
      assertEquals(single.active, false);
      const { res: page, body } = await admin.page(`/admin/runs/${id}`);
      assertEquals(page.status, 200);
      assertMatch(body, /data-status="success"/);
      assertMatch(body, /<td>products<\/td>\s*<td>0<\/td>\s*<td>0<\/td>\s*<td>3<\/td>/);
      assertMatch(body, /<dt>File size<\/dt>\s*<dd>\d+\.\d KB<\/dd>/);
      assertMatch(body, /<dt>Duration<\/dt>\s*<dd>\d+\.\d s<\/dd>/);
      // A finished run's page does not reload itself.
      assertStringIncludes(body, 'data-refresh=""');
    });

    await t.step("unknown exchange 404, kind not held 422, customers 422", async () => {
      await admin.page("/admin");
      let res = await admin.post("/admin/imports", { exchangeId: "nope", kind: "catalog" });
      assertEquals(res.status, 404);
      assertStringIncludes(await res.text(), "Not started: exchange nope has no kept files");
      // Its files were never imported, so nothing says what they hold.
      res = await admin.post("/admin/imports", { exchangeId: notImported, kind: "rests" });
      assertEquals(res.status, 422);
      assertStringIncludes(await res.text(), "holds rests data");
      res = await admin.post("/admin/imports", { exchangeId: full, kind: "customers" });
      assertEquals(res.status, 422);
      assertStringIncludes(await res.text(), "customers: not available yet");
      res = await admin.post("/admin/imports", { exchangeId: full, kind: "everything" });
      assertEquals(res.status, 400);
    });

    await t.step("a run that does not exist is a 404 page", async () => {
      const res = await admin.request("/admin/runs/999999");
      assertEquals(res.status, 404);
      assertStringIncludes(await res.text(), "There is no import run 999999.");
      assertEquals((await admin.request("/admin/runs/999999/status.json")).status, 404);
      assertEquals((await admin.request("/admin/nothing-here")).status, 404);
    });

    await t.step("the integration log filters by kind, status and text", async () => {
      // 1C's exchanges above are rows of the log: one per request.
      const { body } = await admin.page(
        "/admin?log.kind=exchange&log.status=failure&log.q=offers",
      );
      const log = body.slice(body.indexOf("<tbody>", body.indexOf('data-section="log"')));
      assertStringIncludes(log, "catalog import offers.xml");
      assertStringIncludes(log, "import the catalog first");
      assertEquals(log.includes("<td>success</td>"), false);
      const { body: uploads } = await admin.page("/admin?log.kind=exchange&log.q=import.xml");
      const log2 = uploads.slice(uploads.indexOf('data-section="log"'));
      assertMatch(log2, /<td>success<\/td>\s*<td>catalog file import\.xml<\/td>/);
      assertEquals(log2.includes("offers.xml"), false);
      const { body: outbound } = await admin.page("/admin?log.kind=ozon");
      assertStringIncludes(outbound, "Nothing logged matches.");
      const { body: nothing } = await admin.page("/admin?log.q=%25_no_such_thing");
      assertStringIncludes(nothing, "Nothing logged matches.");
    });

    await t.step("whatever the data holds, the page escapes it", async () => {
      await h.ctx.pool.query(
        `INSERT INTO import_runs (session_id, file_name, status, error)
         VALUES ($1, '<img src=x onerror=alert(1)>.xml', 'failed', '"><script>alert(2)</script>')`,
        [full],
      );
      await h.ctx.pool.query(
        `INSERT INTO integration_log (kind, direction, method, url, mode, file, status,
           duration_ms, response_body)
         VALUES ('exchange', 'inbound', 'GET', 'http://x/', 'import',
           '<img src=x onerror=alert(3)>.xml', 'failure', 1, 'failure\n"><script>alert(4)</script>')`,
      );
      const { body } = await admin.page("/admin");
      assertStringIncludes(body, "import &lt;img src=x onerror=alert(3)&gt;.xml");
      assertEquals(body.includes("<img src=x"), false);
      assertEquals(body.includes("<script>alert"), false);
      assertStringIncludes(body, "&lt;img src=x onerror=alert(1)&gt;.xml");
    });

    await t.step("logout drops the cookie; the page asks for a login again", async () => {
      const c = new AdminClient(h.app, "192.0.2.9");
      await c.login();
      const res = await c.post("/admin/logout", {});
      assertEquals(res.status, 303);
      assertEquals(res.headers.get("location"), "/admin/login?bye");
      assertMatch(res.headers.get("set-cookie") ?? "", /admin_session=;.*Max-Age=0/);
      assertEquals(c.cookie, "");
      assertEquals((await c.request("/admin")).status, 303);
      assertStringIncludes((await c.page("/admin/login?bye")).body, "Logged out.");
    });
  } finally {
    await h.close();
  }
});

Deno.test("admin page: the lock, and failed jobs with their retry", async (t) => {
  // No workers: a started run stays queued and holds the lock; jobs are settled by hand.
  const h = await createHarness("admin_lock", { workers: false });
  try {
    const admin = new AdminClient(h.app);
    await admin.login();
    const a = await exchange(h, [["import.xml", F.importXml()]], false);

    await t.step("a failed job is listed per queue and retried", async () => {
      const run = await h.ctx.pool.query(
        `INSERT INTO import_runs (session_id, generation, file_name, kind, status, error)
         VALUES ($1, -1, 'import.xml', 'catalog', 'failed', 'worker crashed') RETURNING id`,
        [a],
      );
      const runId = String(run.rows[0].id);
      const { name } = QUEUES.catalogImport;
      const jobId = await h.ctx.boss.send(name, { runId, requestId: null }, { retryLimit: 0 });
      await h.ctx.pool.query("UPDATE import_runs SET job_id = $1 WHERE id = $2", [jobId, runId]);
      const [job] = await h.ctx.boss.fetch(name);
      assertEquals(job.id, jobId);
      await h.ctx.boss.fail(name, job.id, { message: "worker crashed" });

      const { body } = await admin.page("/admin");
      const jobs = body.slice(body.indexOf('data-section="jobs"'));
      assertStringIncludes(jobs, "catalog-import: 1");
      assertStringIncludes(jobs, `<td>${jobId}</td>`);
      assertStringIncludes(jobs, "<td>worker crashed</td>");
      assertStringIncludes(jobs, `<a href="/admin/runs/${runId}">#${runId}</a>`);

      const res = await admin.post("/admin/actions/retry-job", { queue: name, id: jobId! });
      assertEquals(res.status, 303);
      const { body: after } = await admin.page(res.headers.get("location")!);
      assertStringIncludes(after, `job ${jobId} of catalog-import will be retried`);
      const state = await h.ctx.pool.query("SELECT state FROM pgboss.job WHERE id = $1", [jobId]);
      assertEquals(state.rows[0].state, "retry");
      const settled = await h.ctx.pool.query("SELECT status FROM import_runs WHERE id = $1", [
        runId,
      ]);
      assertEquals(settled.rows[0].status, "queued", "the run is back in line with its job");

      const again = await admin.post("/admin/actions/retry-job", { queue: name, id: jobId! });
      const { body: twice } = await admin.page(again.headers.get("location")!);
      assertStringIncludes(twice, "is not failed (any more)");
      // A notice is shown only with its signature: a crafted link cannot put words there.
      const { body: crafted } = await admin.page("/admin?notice=ok:call%20us&sig=abc");
      assertEquals(crafted.includes("call us"), false);
      assertEquals((await admin.post("/admin/actions/nope", {})).status, 404);
      // Clear the lock the retried run holds for the next step.
      await h.ctx.pool.query("UPDATE import_runs SET status = 'failed' WHERE id = $1", [runId]);
    });

    await t.step("a second start while one runs: 409 with a link to the running run", async () => {
      await h.ctx.pool.query(
        `INSERT INTO import_runs (session_id, file_name, kind, status)
         VALUES ($1, 'import.xml', 'catalog', 'success')`,
        [a],
      );
      await admin.page("/admin");
      const first = await admin.post("/admin/imports", { exchangeId: a, kind: "catalog" });
      assertEquals(first.status, 303);
      const [queued] = startedIds(first);
      const second = await admin.post("/admin/imports", { exchangeId: a, kind: "catalog" });
      assertEquals(second.status, 409);
      const body = await second.text();
      assertStringIncludes(body, "An import is already running");
      assertStringIncludes(body, `<a href="/admin/runs/${queued}">See run #${queued}.</a>`);
      // The chosen exchange and kind stay selected in the form.
      assertMatch(body, new RegExp(`value="${a}" checked`));
      const list = await (await admin.request("/admin/runs.json")).json();
      assertEquals(list.active, true);
      const { body: page } = await admin.page("/admin");
      assertStringIncludes(page, '<table id="runs" data-active="true">');
      const { body: runPage } = await admin.page(`/admin/runs/${queued}`);
      assertStringIncludes(runPage, `data-refresh="run:${queued}"`);
    });
  } finally {
    await h.close();
  }
});

function now() {
  return Math.floor(Date.now() / 1000);
}

function b64(value: unknown) {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
