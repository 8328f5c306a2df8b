/**
 * The import audit: GET /api/v1/imports and /api/v1/imports/{id}.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { requireRole } from "../../src/http/api-auth.ts";
import { replayExchange } from "../../src/imports/replay.ts";
import { getImport, listImports } from "../../src/imports/import-read-model.ts";
import {
  BadCursorError,
  clampLimit,
  CursorTimestamp,
  decodeOptionalCursor,
  encodeCursor,
} from "../../src/http/pagination.ts";
import {
  apiProblem,
  badCursor,
  cursorParam,
  errorResponses,
  ImportPageSchema,
  ImportRunSchema,
  ImportStatus,
  limitParam,
  security,
} from "./schemas.ts";

const Cursor = z.object({ at: CursorTimestamp, id: z.number().int().positive() }).strict();

const listRoute = createRoute({
  method: "get",
  path: "/imports",
  tags: ["Imports"],
  summary: "Import runs, newest first",
  description: "One run per file 1C asked to import in an exchange session, with its outcome.",
  security,
  request: {
    query: z.object({
      limit: limitParam,
      cursor: cursorParam,
      status: ImportStatus.optional().openapi({ description: "Only runs in this status." }),
    }),
  },
  responses: {
    200: {
      description: "A page of import runs.",
      content: { "application/json": { schema: ImportPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/imports/{id}",
  tags: ["Imports"],
  summary: "One import run",
  security,
  request: {
    params: z.object({
      id: z.string().regex(/^\d{1,15}$/, "must be a run id (digits)").openapi({
        description: "The run's id.",
        example: "42",
      }),
    }),
  },
  responses: {
    200: {
      description: "The run.",
      content: { "application/json": { schema: ImportRunSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const startRoute = createRoute({
  method: "post",
  path: "/imports",
  tags: ["Imports"],
  summary: "Import a kept exchange's files again (admin)",
  description: "Re-runs the files of one of the last kept exchanges (EXCHANGE_KEEP) that hold " +
    "the given kind of data, through the same job as 1C's exchange: same dependency rule " +
    "(prices or stock need a catalog), same lock (409 while another import runs).",
  security,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            exchangeId: z.string().min(1).openapi({
              description: "The exchange session (sessionId of its runs).",
            }),
            kind: z.enum(["catalog", "offers", "prices", "rests"]),
          }).strict(),
        },
      },
    },
  },
  responses: {
    202: {
      description: "The runs were queued; follow them at GET /api/v1/imports/{id}.",
      content: { "application/json": { schema: z.object({ items: z.array(ImportRunSchema) }) } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    409: errorResponses[409],
    422: errorResponses[422],
    500: errorResponses[500],
  },
});

export function importRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use("/imports", async (c, next) => {
    if (c.req.method !== "POST") return await next();
    return await requireRole("admin")(c, next);
  });
  app.openapi(startRoute, async (c) => {
    const body = c.req.valid("json");
    const r = await replayExchange(ctx, {
      exchangeId: body.exchangeId,
      kind: body.kind,
      requestId: c.var.requestId,
    });
    if (!r.ok) {
      return apiProblem(
        c,
        r.status,
        r.detail,
        r.runningRunId ? { runningRunId: r.runningRunId } : {},
      );
    }
    const items = [];
    for (const run of r.runs) items.push((await getImport(ctx.db, Number(run.id)))!);
    return c.json({ items }, 202);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor(q.cursor, Cursor);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listImports(ctx.db, { status: q.status }, clampLimit(q.limit), cursor);
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor({ at: page.next.at, id: page.next.id }) : null,
    }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const run = await getImport(ctx.db, Number(id));
    if (!run) return apiProblem(c, 404, `No import run ${id}.`);
    return c.json(run, 200);
  });

  return app;
}
