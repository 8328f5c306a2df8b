/**
 * The site side of 1C's "обмен с сайтом" (CommerceML), `type=catalog`.
 *
 * 1C builds every request as `<URL>?type=…&mode=…[&filename=…][&sessid=…]`:
 *   checkauth → init → file (repeated, raw bytes appended) → import (repeated per file
 *   until success) → [deactivate&timestamp=T] → [complete]
 * Answers are text/plain, LF-separated, no BOM; 1C reads only the first line:
 * `success`, `progress` (send the same request again) or `failure` (lines 2.. go to its log).
 * Protocol errors are HTTP 200 + failure: any other status aborts the whole 1C run.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppContext, AppEnv } from "../src/context.ts";
import { timingSafeEqualStr } from "../src/security/constant-time.ts";
import {
  closeSession,
  createSession,
  type ExchangeSession,
  findLiveSession,
  SESSION_COOKIE,
  startGeneration,
} from "../src/exchange/sessions.ts";
import { normalizeExchangePath, UnsafeFileNameError } from "../src/exchange/filename.ts";
import { appendUpload, listUploads, UploadTooLargeError } from "../src/exchange/uploads.ts";
import {
  findRun,
  reconcileRun,
  requestImport,
  runningRun,
  startUploadedImports,
  summarizeCounts,
} from "../src/imports/import-runs.ts";
import { deactivateSince } from "../src/catalog/deactivation.ts";
import { errorText } from "../src/error-text.ts";
import { encodeCp1251 } from "../src/text/cp1251.ts";
import { pruneOldExchanges } from "../src/exchange/retention.ts";
import { clientIp } from "../src/http/client-ip.ts";
import { metrics } from "../src/metrics/registry.ts";
import { clearFailures, lockedOutFor, recordFailure } from "../src/security/login-throttle.ts";
import { handleSaleMode } from "../src/orders/sale-exchange.ts";
import { exchangeLogEntry } from "../src/integration-log/exchange-record.ts";

type Params = Record<string, string>;

/** How long a `mode=import` answer may wait for its run to finish before saying `progress`. */
const IMPORT_HOLD_MS = 600;

/**
 * checkauth, init and import touch a few rows (an import answers from its run row): they answer
 * within this deadline, else `failure`. A database that stops answering without closing its
 * connections (frozen, failing over, a network partition) would otherwise hold 1C on a pooled
 * connection until TCP gives up, minutes later (tests/faults/postgres-restart.test.ts). A
 * refused connection fails at once anyway, a full pool after connectionTimeoutMillis (5 s,
 * db/pool.ts). The abandoned work ends by itself once the database answers: it is idempotent
 * (1C's next run starts over with checkauth). Not for file (its time is the upload's),
 * deactivate, complete or the orders' modes, which may legitimately run long.
 */
const ANSWER_DEADLINE_MS = 10_000;

function answersWithinDeadline(p: Params): boolean {
  return p.mode === "checkauth" || p.mode === "init" ||
    (p.type === "catalog" && p.mode === "import");
}

function withinDeadline(work: Promise<Response>, ms: number): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms);
  });
  work.catch(() => {}); // an abandoned request's own failure is of no interest any more
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Query parameters as 1C sends them. When the configured URL already had a `?`, 1C produces
 * `/1c_exchange?get_param?type=catalog&mode=init`: recover `type` from the key ending in `?type`.
 * Non-file modes may also come as a POST form.
 */
async function readParams(c: Context<AppEnv>): Promise<Params> {
  const params: Params = {};
  const url = new URL(c.req.url);
  for (const [k, v] of url.searchParams) {
    const key = k.includes("?") ? k.slice(k.lastIndexOf("?") + 1) : k;
    if (!(key in params)) params[key] = v;
  }
  if (c.req.method === "POST" && params.mode !== "file") {
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("application/x-www-form-urlencoded")) {
      const form = new URLSearchParams(await c.req.text());
      for (const [k, v] of form) if (!(k in params)) params[k] = v;
    }
  }
  return params;
}

export function exchangeRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const cfg = ctx.config.exchange;

  const reply = (c: Context<AppEnv>, ...lines: string[]) => {
    const text = lines.join("\n");
    const charset = cfg.charset;
    const body = charset === "windows-1251" ? encodeCp1251(text) : new TextEncoder().encode(text);
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": `text/plain; charset=${charset}`,
    });
  };
  const failure = (c: Context<AppEnv>, reason: string) => reply(c, "failure", reason);

  const handler = async (c: Context<AppEnv>) => {
    const started = performance.now();
    // The integration log's row of this request, whatever the mode (issue 7).
    const logEntry = exchangeLogEntry(ctx, c);
    let params: Params = {};
    let answer = "";
    try {
      params = await readParams(c);
      const work = dispatch(c, params);
      const res = answersWithinDeadline(params)
        ? await withinDeadline(work, ANSWER_DEADLINE_MS)
        : await work;
      answer = await logEntry.answer(res);
      return res;
    } catch (e) {
      // Database down, pool exhausted…: still a protocol answer, never an HTML 500 page.
      c.var.log.error({ err: (e as Error).message, mode: params.mode }, "exchange error");
      answer = "failure";
      logEntry.error(e);
      return failure(c, `temporary server error: ${(e as Error).message}`);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.exchangeRequests.inc({
        type: params.type ?? "",
        mode: params.mode ?? "",
        result: answer.startsWith("zip=") ? "success" : answer || "none",
      });
      metrics.exchangeSeconds.inc({ mode: params.mode ?? "" }, seconds);
      c.var.log.info({
        exchange: true,
        type: params.type,
        mode: params.mode,
        filename: params.filename,
        answer,
        ms: Math.round(performance.now() - started),
      }, "1c exchange request");
      logEntry.write(params);
    }
  };

  async function dispatch(c: Context<AppEnv>, p: Params): Promise<Response> {
    const type = p.type;
    const mode = p.mode;
    if (!type) return failure(c, "missing parameter type (expected type=catalog or type=sale)");
    if (type !== "catalog" && type !== "sale") return failure(c, `Unknown command type: ${type}`);
    if (!mode) return failure(c, "missing parameter mode");
    if (mode === "checkauth") return await checkauth(c, type);

    const session = await findLiveSession(
      ctx.db,
      { cookie: getCookie(c, SESSION_COOKIE), sessid: p.sessid },
      cfg.sessionTtlSeconds,
    );
    if (!session) {
      return failure(c, "not authorized: no live exchange session (run checkauth first)");
    }
    if (type === "sale") {
      // Orders both ways: src/orders/sale-exchange.ts.
      const r = await handleSaleMode(ctx, c, session, p);
      return r.response ?? reply(c, ...(r.lines ?? ["failure", "no answer"]));
    }
    switch (mode) {
      case "init":
        return await init(c, session);
      case "file":
        return await file(c, session, p.filename);
      case "import":
        return await importMode(c, session, p.filename);
      case "deactivate":
        return await deactivate(c, session, p.timestamp);
      case "complete":
        return await complete(c, session);
      default:
        return failure(c, `Unknown mode: ${mode}`);
    }
  }

  /** Basic credentials → a session. 1C sends Basic pre-emptively. */
  async function checkauth(c: Context<AppEnv>, type: string): Promise<Response> {
    const header = c.req.header("authorization") ?? "";
    const m = /^Basic\s+(\S+)$/i.exec(header);
    let login = "", password = "";
    if (m) {
      try {
        const decoded = new TextDecoder().decode(
          Uint8Array.from(atob(m[1]), (ch) => ch.charCodeAt(0)),
        );
        const i = decoded.indexOf(":");
        if (i >= 0) [login, password] = [decoded.slice(0, i), decoded.slice(i + 1)];
      } catch { /* malformed base64: treated as wrong credentials */ }
    }
    const client = clientIp(c) ?? "unknown";
    const wait = await lockedOutFor(ctx.pool, client, "checkauth");
    if (wait > 0) {
      c.var.log.warn({ clientIp: client }, "exchange checkauth throttled: too many failures");
      return failure(
        c,
        `Слишком много неудачных попыток входа с адреса ${client}; повторите через ${wait} с. (too many failed logins)`,
      );
    }
    // Both comparisons always run: timing does not tell which part was wrong.
    const okLogin = timingSafeEqualStr(login, cfg.login);
    const okPassword = timingSafeEqualStr(password, cfg.password);
    if (!m || !okLogin || !okPassword) {
      const failures = await recordFailure(ctx.pool, client, "checkauth");
      c.var.log.warn(
        { clientIp: client, hasHeader: Boolean(m), failures },
        "exchange checkauth refused",
      );
      return failure(
        c,
        m
          ? "Ошибка авторизации. Неверное имя пользователя или пароль."
          : "Ошибка авторизации. Нет заголовка Authorization (HTTP Basic).",
      );
    }
    await clearFailures(ctx.pool, client, "checkauth");
    const session = await createSession(ctx.db, {
      type,
      clientIp: clientIp(c),
      ttlSeconds: cfg.sessionTtlSeconds,
    });
    setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: "Strict", path: "/" });
    // A new exchange starts: drop the files of exchanges beyond the kept ones (in the
    // background: 1C should not wait for it).
    pruneOldExchanges(ctx.pool, cfg.keep).catch((e) =>
      c.var.log.warn({ err: (e as Error).message }, "pruning old exchange files failed")
    );
    return reply(
      c,
      "success",
      SESSION_COOKIE,
      session.id,
      `sessid=${session.token}`,
      `timestamp=${session.started_unix}`,
    );
  }

  /** zip=yes|no\nfile_limit=<bytes>; clears this session's earlier uploads. */
  async function init(c: Context<AppEnv>, session: ExchangeSession): Promise<Response> {
    await startGeneration(ctx.db, session.id);
    return reply(c, `zip=${cfg.zip ? "yes" : "no"}`, `file_limit=${cfg.fileLimit}`);
  }

  async function file(
    c: Context<AppEnv>,
    session: ExchangeSession,
    rawName: string | undefined,
  ): Promise<Response> {
    if (c.req.method !== "POST") return failure(c, "mode=file needs a POST with the file bytes");
    if (!rawName) return failure(c, "missing parameter filename");
    let name: string;
    try {
      name = normalizeExchangePath(rawName);
    } catch (e) {
      if (e instanceof UnsafeFileNameError) return failure(c, e.message);
      throw e;
    }
    try {
      // file_limit plus a margin: 1C cuts files at file_limit, anything far above is not 1C.
      const f = await appendUpload(
        ctx.db,
        session.id,
        name,
        c.req.raw.body,
        cfg.fileLimit + 1024 * 1024,
      );
      if (f.first) {
        // Best effort: the bytes are stored, so this POST succeeded whatever happens here;
        // 1C's own `import` starts any run that did not start now.
        await startUploadedImports(ctx, {
          sessionId: session.id,
          generation: session.generation,
          nextFile: name,
          requestId: c.var.requestId,
        }).catch((e) =>
          c.var.log.warn({ err: errorText(e) }, "could not start the earlier files' imports")
        );
      }
      return reply(c, "success", `${name}: ${f.size} bytes received`);
    } catch (e) {
      if (e instanceof UploadTooLargeError) {
        return failure(c, `Ошибка записи в файл ${name}: ${e.message}`);
      }
      throw e;
    }
  }

  async function importMode(
    c: Context<AppEnv>,
    session: ExchangeSession,
    rawName: string | undefined,
  ): Promise<Response> {
    if (!rawName) return failure(c, "missing parameter filename");
    let name: string;
    try {
      name = normalizeExchangePath(rawName);
    } catch (e) {
      if (e instanceof UnsafeFileNameError) return failure(c, e.message);
      throw e;
    }
    // 1C repeats the identical request at once on every `progress`: the repeats find the run
    // directly and touch nothing else.
    let run = await findRun(ctx, session.id, session.generation, name);
    if (!run) {
      const uploads = await listUploads(ctx.db, session.id);
      const known = uploads.some((u) => u.name === name || u.name.endsWith(`/${name}`));
      const zips = uploads.some((u) => u.name.toLowerCase().endsWith(".zip"));
      if (!known && !zips) {
        return failure(c, `file ${name} was not uploaded in this session (mode=file first)`);
      }
    }
    if (!run || run.job_id === null) {
      run = await requestImport(ctx, {
        sessionId: session.id,
        generation: session.generation,
        fileName: name,
        requestId: c.var.requestId,
      });
    }
    // Hold a `progress` answer briefly: a run that finishes meanwhile is answered at once, and
    // 1C's immediate repeats do not flood the database while the import works.
    const deadline = Date.now() + IMPORT_HOLD_MS;
    while ((run.status === "queued" || run.status === "running") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await findRun(ctx, session.id, session.generation, name)) ?? run;
    }
    run = await reconcileRun(ctx, run);
    switch (run.status) {
      case "success": {
        const warn = run.errors.length ? ` (${run.errors.join("; ")})` : "";
        return reply(c, "success", `${name}: ${summarizeCounts(run.counts)}${warn}`);
      }
      case "failed":
        return failure(c, `${name}: ${run.error ?? "import failed"}`);
      case "running":
        return reply(c, "progress", `${name}: ${run.progress ?? "importing"}`);
      default: {
        const other = await runningRun(ctx);
        const why = other && other.id !== run.id
          ? `waiting for import #${other.id} (${other.file_name}) to finish`
          : "queued, starting shortly";
        return reply(c, "progress", `${name}: ${why}`);
      }
    }
  }

  async function deactivate(
    c: Context<AppEnv>,
    session: ExchangeSession,
    timestamp: string | undefined,
  ): Promise<Response> {
    const t = Number(timestamp);
    if (!timestamp || !Number.isInteger(t) || t <= 0) {
      return failure(c, "mode=deactivate needs timestamp=<unix seconds> from checkauth");
    }
    await ctx.db.updateTable("exchange_sessions").set({ deactivated_at: new Date() })
      .where("id", "=", session.id).execute();
    const r = await deactivateSince(ctx.pool, t, session.id);
    if (r.skippedReason) return reply(c, "success", `nothing deactivated: ${r.skippedReason}`);
    return reply(c, "success", `${r.deactivated} product(s) deactivated`);
  }

  /**
   * mode=complete: the last call of a run. A split exchange whose client never sent
   * mode=deactivate still gets its deactivation here, over this session's runs.
   */
  async function complete(c: Context<AppEnv>, session: ExchangeSession): Promise<Response> {
    let note = "exchange complete";
    if (!session.deactivated_at) {
      const deferred = await ctx.db.selectFrom("import_runs").select("id")
        .where("session_id", "=", session.id).where("deactivation_deferred", "=", true)
        .executeTakeFirst();
      if (deferred) {
        const r = await deactivateSince(ctx.pool, Number(session.started_unix), session.id);
        note += r.skippedReason
          ? `; nothing deactivated: ${r.skippedReason}`
          : `; ${r.deactivated} product(s) deactivated`;
      }
    }
    await closeSession(ctx.db, session.id);
    return reply(c, "success", note);
  }

  app.on(["GET", "POST"], "/1c_exchange.php", handler);
  app.on(["GET", "POST"], "/1c_exchange", handler);
  return app;
}
