/**
 * The admin page (/admin), served by the service itself: server-rendered HTML (hono/html),
 * one inline script for auto-refresh, nothing loaded from elsewhere. Behind a login with an
 * admin token from API_TOKENS, throttled per address like every other credential.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { deleteCookie, setCookie } from "hono/cookie";
import { bodyLimit } from "hono/body-limit";
import * as v from "valibot";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { clientIp } from "../../src/http/client-ip.ts";
import { timingSafeEqualStr } from "../../src/security/constant-time.ts";
import { clearFailures, lockedOutFor, recordFailure } from "../../src/security/login-throttle.ts";
import {
  encodeSession,
  newSession,
  noticeIsGenuine,
  SESSION_COOKIE,
  SESSION_SECONDS,
  sessionKey,
  signNotice,
} from "../../src/admin/session.ts";
import { adminRuns, runReport, runRow } from "../../src/admin/runs-view.ts";
import { keptExchanges } from "../../src/admin/kept-exchanges.ts";
import { starterFor } from "../../src/admin/import-starters.ts";
import { ADMIN_SECTIONS } from "../../src/admin/sections.ts";
import { ADMIN_ACTIONS } from "../../src/admin/actions.ts";
import { getImport } from "../../src/imports/import-read-model.ts";
import {
  type AdminEnv,
  formFields,
  requireCsrf,
  requireSession,
  securityHeaders,
} from "./guard.ts";
import { loginPage } from "./login-page.ts";
import { dashboardPage, type PageMessage } from "./dashboard-page.ts";
import { runPage } from "./run-page.ts";
import { brokenSection, sectionView } from "./section-view.ts";
import { FAVICON_SVG, page } from "./layout.ts";
import { html } from "hono/html";

const THROTTLE_SCOPE = "admin-login";

const StartForm = v.object({
  exchangeId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  kind: v.pipe(v.string(), v.maxLength(50)),
});

export function adminRoutes(ctx: AppContext): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const key = sessionKey(ctx.config.apiTokens);
  const authed = requireSession(key);
  const csrf = requireCsrf();

  // Also matches /admin itself.
  app.use("/admin/*", securityHeaders());
  // The admin forms are a few fields; nothing bigger is read into memory.
  app.post(
    "/admin/*",
    bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text("The form is too large.", 413) }),
  );

  // Secure whenever the browser reached us over TLS (directly or through Fly's proxy), and
  // always in production, where plain HTTP must not carry an admin session.
  const secureCookie = (c: Context<AdminEnv>) =>
    ctx.config.production || new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto") === "https";

  app.get("/admin/favicon.svg", (c) => {
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(FAVICON_SVG, 200, { "Content-Type": "image/svg+xml" });
  });

  app.get("/admin/login", (c) => {
    if (!key) return c.html(loginPage(c.var.cspNonce, noAdminToken), 503);
    const bye = c.req.query("bye") !== undefined;
    return c.html(
      loginPage(c.var.cspNonce, bye ? { kind: "notice", text: "Logged out." } : undefined),
    );
  });

  app.post("/admin/login", async (c) => {
    if (!key) return c.html(loginPage(c.var.cspNonce, noAdminToken), 503);
    // clientIp only reads headers and the socket address, which AdminEnv does not change.
    const client = clientIp(c as unknown as Context<AppEnv>) ?? "unknown";
    const wait = await lockedOutFor(ctx.pool, client, THROTTLE_SCOPE);
    if (wait > 0) {
      c.var.log.warn({ clientIp: client }, "admin login throttled: too many failures");
      c.header("Retry-After", String(wait));
      return c.html(
        loginPage(c.var.cspNonce, {
          kind: "error",
          text: `Too many wrong tokens from ${client}; try again in ${wait} s.`,
        }),
        429,
      );
    }
    const token = (await formFields(c)).token ?? "";
    let admin = false;
    for (const t of ctx.config.apiTokens) {
      // Every token is compared, always: the time taken does not tell which one matched.
      if (timingSafeEqualStr(token, t.token) && t.role === "admin") admin = true;
    }
    if (!admin) {
      const failures = await recordFailure(ctx.pool, client, THROTTLE_SCOPE);
      c.var.log.warn({ clientIp: client, failures }, "admin login refused");
      return c.html(
        loginPage(c.var.cspNonce, { kind: "error", text: "That is not an admin token." }),
        401,
      );
    }
    await clearFailures(ctx.pool, client, THROTTLE_SCOPE);
    setCookie(c, SESSION_COOKIE, encodeSession(key, newSession()), {
      path: "/admin",
      httpOnly: true,
      sameSite: "Strict",
      secure: secureCookie(c),
      maxAge: SESSION_SECONDS,
    });
    c.var.log.info({ clientIp: client }, "admin logged in");
    return c.redirect("/admin", 303);
  });

  app.post("/admin/logout", authed, csrf, (c) => {
    // The cookie is stateless: logging out drops it from this browser. A copied cookie
    // stays valid until it expires (8 h) or the admin tokens change.
    deleteCookie(c, SESSION_COOKIE, { path: "/admin", secure: secureCookie(c) });
    return c.redirect("/admin/login?bye", 303);
  });

  app.get("/admin/", (c) => c.redirect("/admin", 301));

  const dashboard = async (
    c: Context<AdminEnv>,
    status: ContentfulStatusCode,
    extra: { message?: PageMessage; selected?: { exchangeId?: string; kind?: string } } = {},
  ) => {
    const query = new URL(c.req.url).searchParams;
    const [runs, exchanges, sections] = await Promise.all([
      adminRuns(ctx),
      keptExchanges(ctx),
      Promise.all(ADMIN_SECTIONS.map(async (s) => {
        try {
          return sectionView(s, await s.load(ctx, query), query, c.var.adminSession.csrf);
        } catch (e) {
          c.var.log.error({ section: s.id, err: String(e) }, "admin section failed to load");
          return brokenSection(s, e instanceof Error ? e.message : String(e));
        }
      })),
    ]);
    return c.html(
      dashboardPage({
        nonce: c.var.cspNonce,
        csrf: c.var.adminSession.csrf,
        runs,
        exchanges,
        sections,
        ...extra,
      }),
      status,
    );
  };

  app.get("/admin", authed, async (c) => {
    return await dashboard(c, 200, { message: await messageFromQuery(c) });
  });

  /** `?started=…` (run ids) after a start; `?notice=…&sig=…` after an action. */
  const messageFromQuery = async (c: Context<AdminEnv>): Promise<PageMessage | undefined> => {
    const started = c.req.query("started");
    if (started && /^\d{1,15}(,\d{1,15}){0,99}$/.test(started)) {
      const runs = [];
      for (const id of started.split(",")) {
        const run = await getImport(ctx.db, Number(id));
        if (run) runs.push(`#${run.id} (${run.fileName})`);
      }
      if (runs.length) return { kind: "notice", text: `Started: run ${runs.join(", ")}.` };
    }
    const notice = c.req.query("notice");
    const sig = c.req.query("sig");
    if (key && notice && sig && noticeIsGenuine(key, c.var.adminSession, notice, sig)) {
      return { kind: notice.startsWith("ok:") ? "notice" : "error", text: notice.slice(3) };
    }
    return undefined;
  };

  app.get("/admin/runs.json", authed, async (c) => c.json(await adminRuns(ctx)));

  app.get("/admin/runs/:id{[0-9]{1,15}}/status.json", authed, async (c) => {
    const run = await getImport(ctx.db, Number(c.req.param("id")));
    if (!run) return c.json({ error: "no such run" }, 404);
    return c.json(runRow(run));
  });

  app.get("/admin/runs/:id{[0-9]{1,15}}", authed, async (c) => {
    const report = await runReport(ctx, Number(c.req.param("id")));
    if (!report) return notFound(c, `There is no import run ${c.req.param("id")}.`);
    return c.html(runPage(c.var.cspNonce, c.var.adminSession.csrf, report));
  });

  app.post("/admin/imports", authed, csrf, async (c) => {
    const parsed = v.safeParse(StartForm, c.var.form);
    if (!parsed.success) {
      return await dashboard(c, 400, {
        message: { kind: "error", text: "Choose an exchange and what to import." },
      });
    }
    const { exchangeId, kind } = parsed.output;
    const selected = { exchangeId, kind };
    const starter = starterFor(kind);
    if (!starter) {
      return await dashboard(c, 400, {
        message: { kind: "error", text: `There is no import of kind "${kind}".` },
        selected,
      });
    }
    if (!starter.start) {
      return await dashboard(c, 422, {
        message: {
          kind: "error",
          text: `${starter.label}: ${starter.unavailable ?? "not available yet"}.`,
        },
        selected,
      });
    }
    const result = await starter.start(ctx, { exchangeId, requestId: c.var.requestId });
    if (!result.ok) {
      c.var.log.info({ exchangeId, kind, status: result.status }, "admin import refused");
      const message: PageMessage = result.status === 409 && result.runningRunId
        ? {
          kind: "error",
          text: `An import is already running (${result.detail}); start this one when it ends.`,
          link: {
            href: `/admin/runs/${result.runningRunId}`,
            text: `See run #${result.runningRunId}.`,
          },
        }
        : { kind: "error", text: `Not started: ${result.detail}.` };
      return await dashboard(c, result.status, { message, selected });
    }
    c.var.log.info(
      { exchangeId, kind, runs: result.runs.map((r) => r.id) },
      "import started from the admin page",
    );
    return c.redirect(`/admin?started=${result.runs.map((r) => r.id).join(",")}`, 303);
  });

  app.post("/admin/actions/:name", authed, csrf, async (c) => {
    const name = c.req.param("name");
    const handler = Object.hasOwn(ADMIN_ACTIONS, name) ? ADMIN_ACTIONS[name] : undefined;
    if (!handler) return notFound(c, `There is no action "${name}".`);
    const { csrf: _, ...fields } = c.var.form;
    const result = await handler(ctx, fields);
    const text = `${result.ok ? "ok" : "no"}:${result.message}`;
    const sig = signNotice(key!, c.var.adminSession, text);
    return c.redirect(`/admin?notice=${encodeURIComponent(text)}&sig=${sig}`, 303);
  });

  app.all("/admin/*", authed, (c) => notFound(c, `There is no admin page at ${c.req.path}.`));

  return app;
}

const noAdminToken = {
  kind: "error" as const,
  text: "No admin token is configured: add an admin:<token> entry to API_TOKENS.",
};

function notFound(c: Context<AdminEnv>, text: string) {
  return c.html(
    page({
      title: "Not found",
      nonce: c.var.cspNonce,
      csrf: c.var.adminSession.csrf,
      body: html`
        <p class="box error">${text}</p>
        <p><a href="/admin">Back to the runs</a></p>
      `,
    }),
    404,
  );
}
