/**
 * `type=sale` modes after checkauth (init, query, success, file, import, info).
 * checkauth and the session lookup are shared with the catalog exchange (routes/exchange.ts).
 *
 * Spec §3: "Official order: A `checkauth` → B `init` → C `query` (site → 1C orders) →
 * `success` → D `file` (1C → site changes)." Every answer but query/info is text lines whose
 * first line is success / progress / failure; protocol errors stay HTTP 200 + failure.
 */
import type { Context } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import { closeSession, type ExchangeSession, startGeneration } from "../exchange/sessions.ts";
import { normalizeExchangePath, UnsafeFileNameError } from "../exchange/filename.ts";
import { appendUpload, listUploads, UploadTooLargeError } from "../exchange/uploads.ts";
import { unpackSessionZips } from "../exchange/unpack.ts";
import { ZipError } from "../exchange/zip.ts";
import { encodeCp1251 } from "../text/cp1251.ts";
import { confirmLastQuery, queryOrders } from "./export-batches.ts";
import {
  OLD_PROTOCOL_SCHEMA_VERSION,
  saleVersion,
  setSaleVersion,
  SITE_SALE_VERSION,
} from "./sale-sessions.ts";
import { importSaleFile } from "./status-import.ts";
import { isCompleteUpload } from "./upload-complete.ts";
import { STATUS_LABELS } from "./query-document.ts";
import { XmlWriter } from "./xml-writer.ts";
import { concatBytes } from "../concat-bytes.ts";

export interface SaleReply {
  /** Plain protocol lines (success/progress/failure…), sent as text/plain like every answer. */
  lines?: string[];
  /** A full response (e.g. the mode=query XML document). */
  response?: Response;
}

const failure = (...reason: string[]): SaleReply => ({ lines: ["failure", ...reason] });

export async function handleSaleMode(
  ctx: AppContext,
  c: Context<AppEnv>,
  session: ExchangeSession,
  params: Record<string, string>,
): Promise<SaleReply> {
  switch (params.mode) {
    case "init":
      return await init(ctx, session, params.version);
    case "query":
      return await query(ctx, c, session);
    case "success":
      return await success(ctx, c, session);
    case "file":
      return await file(ctx, c, session, params.filename);
    case "import":
      return await importMode(ctx, c, session, params.filename);
    case "info":
      return { response: info(ctx) };
    case "complete":
      await closeSession(ctx.db, session.id);
      return { lines: ["success", "exchange complete"] };
    default:
      return failure(`Unknown mode for type=sale: ${params.mode}`);
  }
}

/**
 * "Response: `zip=yes|no\nfile_limit=<bytes>\n` and, only when the request had `version`, two
 * more lines: `sessid=<token>\nversion=<site version>`" (spec §3.2). Like Bitrix, init starts
 * afresh: files 1C sent earlier in the session are dropped.
 */
async function init(
  ctx: AppContext,
  session: ExchangeSession,
  version: string | undefined,
): Promise<SaleReply> {
  const cfg = ctx.config.exchange;
  await startGeneration(ctx.db, session.id);
  const requested = version?.trim() || null;
  await setSaleVersion(ctx.db, session.id, requested);
  const lines = [`zip=${cfg.zip ? "yes" : "no"}`, `file_limit=${cfg.fileLimit}`];
  if (requested) lines.push(`sessid=${session.token}`, `version=${SITE_SALE_VERSION}`);
  return { lines };
}

/**
 * "Response: a complete CommerceML document … in the body, no status line. Bitrix:
 * windows-1251 XML, `Content-Type: application/xml; charset=windows-1251`, `Content-Length`
 * set. No orders → an empty root element." (spec §3.3)
 */
async function query(
  ctx: AppContext,
  c: Context<AppEnv>,
  session: ExchangeSession,
): Promise<SaleReply> {
  const version = await saleVersion(ctx.db, session.id);
  const answer = await queryOrders(
    ctx,
    session.id,
    version ? SITE_SALE_VERSION : OLD_PROTOCOL_SCHEMA_VERSION,
  );
  const body = concatBytes(answer.chunks, answer.bytes);
  c.var.log.info(
    { batchId: answer.batchId, orders: answer.orders, bytes: answer.bytes },
    "sale query answered",
  );
  return {
    response: new Response(body, {
      status: 200,
      headers: {
        "Content-Type": `application/xml; charset=${ctx.config.orders.saleEncoding}`,
        "Content-Length": String(body.length),
      },
    }),
  };
}

/** "Commit the export cursor / mark orders as delivered to 1C." (spec §3.4) */
async function success(
  ctx: AppContext,
  c: Context<AppEnv>,
  session: ExchangeSession,
): Promise<SaleReply> {
  const r = await confirmLastQuery(ctx.db, session.id);
  c.var.log.info({ confirm: r }, "sale success");
  switch (r.kind) {
    case "no-query":
      return { lines: ["success", "no mode=query in this session: nothing to confirm"] };
    case "already-confirmed":
      return { lines: ["success", `already confirmed: ${r.confirmed} order(s)`] };
    case "confirmed": {
      const earlier = r.sent - r.confirmed - r.changed;
      let line = `${r.confirmed} order(s) confirmed`;
      if (r.changed > 0) line += `; ${r.changed} changed since the query and will be sent again`;
      if (earlier > 0) line += `; ${earlier} already confirmed by an earlier success`;
      return { lines: ["success", line] };
    }
  }
}

function safeName(raw: string | undefined): string | SaleReply {
  if (!raw) return failure("missing parameter filename");
  try {
    return normalizeExchangePath(raw);
  } catch (e) {
    if (e instanceof UnsafeFileNameError) return failure(e.message);
    throw e;
  }
}

/**
 * Spec §3.5: the old protocol imports at once; the new one stores and waits for mode=import.
 * A file larger than file_limit arrives in several POSTs, so the old protocol imports only
 * once the bytes form a whole document (or a whole zip archive); until then it answers
 * success, which makes 1C send the next part.
 */
async function file(
  ctx: AppContext,
  c: Context<AppEnv>,
  session: ExchangeSession,
  rawName: string | undefined,
): Promise<SaleReply> {
  if (c.req.method !== "POST") return failure("mode=file needs a POST with the file bytes");
  const name = safeName(rawName);
  if (typeof name !== "string") return name;
  const cfg = ctx.config.exchange;
  let size: number;
  let fileId: string;
  try {
    const f = await appendUpload(ctx.db, session.id, name, c.req.raw.body, cfg.fileLimit + 2 ** 20);
    size = f.size;
    fileId = f.id;
  } catch (e) {
    if (e instanceof UploadTooLargeError) {
      return failure(`Ошибка записи в файл ${name}: ${e.message}`);
    }
    throw e;
  }
  if (await saleVersion(ctx.db, session.id)) {
    return { lines: ["success", `${name}: ${size} bytes received`] };
  }
  if (!(await isCompleteUpload(ctx.pool, fileId, name))) {
    return { lines: ["success", `${name}: ${size} bytes received, waiting for the rest`] };
  }
  return await importNamed(ctx, c, session, name);
}

async function importMode(
  ctx: AppContext,
  c: Context<AppEnv>,
  session: ExchangeSession,
  rawName: string | undefined,
): Promise<SaleReply> {
  const name = safeName(rawName);
  if (typeof name !== "string") return name;
  return await importNamed(ctx, c, session, name);
}

/**
 * Imports `name` (or, for an archive, every XML document in it). Documents are small and
 * applied set by set, so this runs within the request; a repeated call answers from the
 * recorded run.
 */
async function importNamed(
  ctx: AppContext,
  c: Context<AppEnv>,
  session: ExchangeSession,
  name: string,
): Promise<SaleReply> {
  try {
    await unpackSessionZips(ctx, session.id);
  } catch (e) {
    if (e instanceof ZipError) return failure(`${name}: ${e.message}`);
    throw e;
  }
  const uploads = await listUploads(ctx.db, session.id);
  const isXml = (n: string) => n.toLowerCase().endsWith(".xml");
  const targets = name.toLowerCase().endsWith(".zip")
    ? uploads.filter((u) => u.origin === "zip" && isXml(u.name))
    : [
      uploads.find((u) => u.name === name) ??
        uploads.find((u) => u.name.endsWith(`/${name}`)),
    ].filter((u) => u !== undefined);
  if (targets.length === 0) {
    return failure(`file ${name} was not uploaded in this session (mode=file first)`);
  }
  const messages: string[] = [];
  for (const u of targets) {
    const r = await importSaleFile(ctx, {
      sessionId: session.id,
      generation: session.generation,
      fileName: u.name,
      fileId: String(u.id),
      fileSize: Number(u.size),
      requestId: c.var.requestId,
    });
    c.var.log.info({ run: r.run.id, ok: r.ok, message: r.message }, "sale documents imported");
    if (!r.ok) return failure(r.message);
    messages.push(r.message);
  }
  return { lines: ["success", ...messages] };
}

/**
 * mode=info (a Bitrix extension, spec §3.7): the site's order statuses for 1C's mapping;
 * payment systems and delivery services are the platform's business, so none are listed.
 * "note the Bitrix tag `Cтатусы` starts with a Latin C" — kept, the Bitrix module reads it.
 */
function info(ctx: AppContext): Response {
  const encoding = ctx.config.orders.saleEncoding;
  const w = new XmlWriter(encoding).declaration().open("Справочник").open("Cтатусы");
  const seen = new Set<string>();
  for (const s of Object.values(STATUS_LABELS)) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    w.open("Элемент").leaf("Ид", s.id).leaf("Название", s.name).close();
  }
  w.close().open("ПлатежныеСистемы").close().open("СлужбыДоставки").close().close();
  const text = w.take();
  const body = encoding === "windows-1251" ? encodeCp1251(text) : new TextEncoder().encode(text);
  return new Response(body, {
    headers: {
      "Content-Type": `application/xml; charset=${encoding}`,
      "Content-Length": String(body.length),
    },
  });
}
