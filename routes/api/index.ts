/**
 * The read API: composes the /api/v1 sub-apps behind bearer auth, and serves the OpenAPI
 * document (/openapi.json) and a docs page (/docs) without auth, so a developer can discover
 * the API before holding a token.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { OpenAPIHonoOptions } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { apiAuth } from "../../src/http/api-auth.ts";
import { bodyLimit } from "hono/body-limit";

/** Largest JSON body the API reads (1 MiB: an order with thousands of lines still fits). */
export const API_BODY_LIMIT = 1024 * 1024;
import { problem } from "../../src/http/problem.ts";
import { jsonLimits } from "../../src/http/json-limits.ts";
import { idempotencyKeys, type RoutePattern } from "../../src/http/idempotency.ts";
import { BEARER, documentIdempotency } from "./schemas.ts";
import { productRoutes } from "./products.ts";
import { catalogRoutes } from "./catalog.ts";
import { importRoutes } from "./imports.ts";
import { ordersRoutes } from "./orders.ts";
import { customersRoutes } from "./customers.ts";
import { marketplacesRoutes } from "./marketplaces.ts";
import { integrationLogRoutes } from "./integration-log.ts";

const WHERE: Record<string, string> = {
  query: "query parameters",
  param: "path parameters",
  json: "JSON body",
  form: "form body",
  header: "headers",
  cookie: "cookies",
};

/** Zod validation failures become the same problem+json as every other error. */
const defaultHook: OpenAPIHonoOptions<AppEnv>["defaultHook"] = (result, c) => {
  if (result.success) return;
  const issues = result.error.issues.map((i) => ({
    path: i.path.length ? i.path.map(String).join(".") : result.target,
    message: i.message,
  }));
  return problem(c, 400, `Invalid ${WHERE[result.target] ?? result.target}.`, { issues });
};

/** Writes that handle Idempotency-Key themselves, in the transaction of their work. */
const IDEMPOTENT_IN_ROUTE: RoutePattern[] = ["POST /api/v1/orders"];
/**
 * Uploads streamed to storage instead of read whole (up to 512 MiB): no body limit, no JSON
 * limits, and no Idempotency-Key, which would need the whole body buffered to be hashed (the
 * route's description says so).
 */
const STREAMED_UPLOADS: RoutePattern[] = ["POST /api/v1/customers/imports"];
const isStreamedUpload = (path: string) => path.endsWith("/customers/imports");

export function apiRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });

  app.openAPIRegistry.registerComponent("securitySchemes", BEARER, {
    type: "http",
    scheme: "bearer",
    description: "A token from API_TOKENS (role:token pairs). Every role may read; writes will " +
      "name the roles they need.",
  });

  // Registered before the sub-apps: Hono runs handlers in registration order. Routes that
  // change data will add requireRole(...) (src/http/api-auth.ts) on top of this.
  app.use("/api/*", apiAuth(ctx.config.apiTokens, ctx.pool));
  // JSON bodies of the API are small; a larger one is refused before it is read whole.
  // (Counterparty files posted to /customers/imports are streamed to storage instead.)
  const jsonLimit = bodyLimit({
    maxSize: API_BODY_LIMIT,
    onError: (c) => problem(c, 413, `The body is larger than ${API_BODY_LIMIT} bytes.`),
  });
  app.use("/api/*", async (c, next) => {
    if (isStreamedUpload(c.req.path)) return await next();
    return await jsonLimit(c, next);
  });
  // Within that size, a JSON body's nesting and number of values are bounded too, before
  // anything parses it (src/http/json-limits.ts).
  const shapeLimit = jsonLimits();
  app.use("/api/*", async (c, next) => {
    if (isStreamedUpload(c.req.path)) return await next();
    return await shapeLimit(c, next);
  });
  // Idempotency-Key on every write; after auth (keys are the caller's) and the limits (the
  // body it hashes is bounded).
  app.use(
    "/api/*",
    idempotencyKeys(ctx.db, { inRoute: IDEMPOTENT_IN_ROUTE, notHonoured: STREAMED_UPLOADS }),
  );

  app.route("/api/v1", productRoutes(ctx));
  app.route("/api/v1", catalogRoutes(ctx));
  app.route("/api/v1", importRoutes(ctx));
  app.route("/api/v1", ordersRoutes(ctx));
  app.route("/api/v1", customersRoutes(ctx));
  app.route("/api/v1", marketplacesRoutes(ctx));
  app.route("/api/v1", integrationLogRoutes(ctx));

  // Generated, then Idempotency-Key documented on every write in one pass (as the
  // middleware above applies it to every write).
  app.get("/openapi.json", (c) =>
    c.json(documentIdempotency(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "1C catalog exchange — read API",
          version: "1.0.0",
          description: "The catalog 1C uploads through CommerceML, for the platform to read. " +
            "Errors are application/problem+json (RFC 9457). Lists are cursor-paginated: " +
            "follow `nextCursor` until it is null. Every write (POST, PUT, PATCH, DELETE) " +
            "takes an optional `Idempotency-Key`: a retry with the same key and request " +
            "within 24 h gets the first answer again instead of doing the work twice. JSON " +
            "bodies are limited to 1 MiB (413), 32 levels of nesting and 100,000 values " +
            "(400).",
        },
      }),
      STREAMED_UPLOADS,
    )));

  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(DOCS_HTML);
  });

  return app;
}

// The service may run where the network is closed, so the docs page carries its own script
// and style and may reach nothing but this origin.
const DOCS_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
  "frame-ancestors 'none'";

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Read API</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  code, pre, input { font: 13px ui-monospace, monospace; }
  .bar { display: flex; gap: .5rem; align-items: center; margin: 1rem 0; flex-wrap: wrap; }
  .bar input { flex: 1; min-width: 16rem; padding: .3rem; }
  details { border: 1px solid #ddd; border-radius: 4px; margin: .5rem 0; }
  summary { cursor: pointer; padding: .5rem; }
  .m { display: inline-block; min-width: 3.5rem; font-weight: 600; color: #0a6; }
  .body { padding: 0 .75rem .75rem; }
  table { border-collapse: collapse; margin: .5rem 0; }
  td, th { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
  pre { background: #f6f6f6; padding: .5rem; overflow: auto; max-height: 30rem; }
  .muted { color: #777; }
</style>
</head>
<body>
<h1 id="title">Read API</h1>
<div id="intro" class="muted"></div>
<div class="bar">
  <label for="token">Bearer token</label>
  <input id="token" type="password" autocomplete="off" placeholder="a token from API_TOKENS">
  <a href="openapi.json">openapi.json</a>
</div>
<div id="routes">Loading openapi.json…</div>
<script>
"use strict";
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
};
const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("apiToken") || "";
tokenInput.addEventListener("input", () => sessionStorage.setItem("apiToken", tokenInput.value));

function schemaName(media) {
  const s = media && media.schema;
  if (!s) return "";
  if (s.$ref) return s.$ref.split("/").pop();
  return s.type || "";
}

function renderOperation(path, method, op) {
  const params = op.parameters || [];
  const inputs = {};
  const rows = params.map((p) => {
    const input = el("input", { placeholder: p.schema && p.schema.example !== undefined ? String(p.schema.example) : "" });
    inputs[p.name] = { input, where: p.in };
    return el("tr", {},
      el("td", {}, el("code", { textContent: p.name }), p.required ? " *" : ""),
      el("td", { className: "muted", textContent: p.in }),
      el("td", {}, input),
      el("td", { textContent: p.description || (p.schema && p.schema.description) || "" }));
  });
  const responses = Object.entries(op.responses || {}).map(([code, r]) => {
    const content = r.content || {};
    const types = Object.entries(content).map(([t, m]) => t + " " + schemaName(m)).join(", ");
    return el("tr", {}, el("td", { textContent: code }), el("td", { textContent: r.description || "" }),
      el("td", { className: "muted", textContent: types }));
  });
  const out = el("pre", { hidden: true });
  const send = el("button", { type: "button", textContent: "Send" });
  send.addEventListener("click", async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const [name, { input, where }] of Object.entries(inputs)) {
      if (!input.value) continue;
      if (where === "path") url = url.replace("{" + name + "}", encodeURIComponent(input.value));
      else if (where === "query") query.set(name, input.value);
    }
    const qs = query.toString();
    out.hidden = false;
    out.textContent = "…";
    try {
      const headers = tokenInput.value ? { Authorization: "Bearer " + tokenInput.value } : {};
      const res = await fetch(url + (qs ? "?" + qs : ""), { method: method.toUpperCase(), headers });
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      out.textContent = res.status + " " + res.statusText + "\\n\\n" + shown;
    } catch (err) {
      out.textContent = String(err);
    }
  });
  return el("details", {},
    el("summary", {}, el("span", { className: "m", textContent: method.toUpperCase() }),
      el("code", { textContent: path }), " ", el("span", { className: "muted", textContent: op.summary || "" })),
    el("div", { className: "body" },
      el("p", { textContent: op.description || "" }),
      params.length ? el("table", {}, el("tr", {}, el("th", { textContent: "Parameter" }), el("th", { textContent: "In" }),
        el("th", { textContent: "Value" }), el("th", { textContent: "Description" })), ...rows) : "",
      el("table", {}, el("tr", {}, el("th", { textContent: "Status" }), el("th", { textContent: "Meaning" }),
        el("th", { textContent: "Body" })), ...responses),
      send, out));
}

fetch("openapi.json").then((r) => r.json()).then((doc) => {
  document.getElementById("title").textContent = doc.info.title;
  document.title = doc.info.title;
  document.getElementById("intro").textContent = doc.info.description || "";
  const routes = document.getElementById("routes");
  routes.textContent = "";
  for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [method, op] of Object.entries(item)) routes.append(renderOperation(path, method, op));
  }
}).catch((err) => {
  document.getElementById("routes").textContent = "Could not load openapi.json: " + err;
});
</script>
</body>
</html>
`;
