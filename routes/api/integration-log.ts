/**
 * GET /api/v1/integration-log (admin): every request of 1C's exchange and every call to 1C's
 * HTTP service, Ozon and Wildberries, newest first. Admin only: the rows hold URLs, bodies and
 * client addresses (with credentials masked).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { requireRole } from "../../src/http/api-auth.ts";
import {
  BadCursorError,
  clampLimit,
  CursorTimestamp,
  decodeOptionalCursor,
  encodeCursor,
} from "../../src/http/pagination.ts";
import { listIntegrationLog } from "../../src/integration-log/read-model.ts";
import { INTEGRATION_KINDS, INTEGRATION_STATUSES } from "../../db/schema-integration-log.ts";
import { BODY_LIMIT } from "../../src/integration-log/truncate.ts";
import {
  badCursor,
  cursorParam,
  errorResponses,
  limitParam,
  nextCursor,
  security,
} from "./schemas.ts";

const Kind = z.enum(INTEGRATION_KINDS).openapi({
  description: "`exchange`: a request of 1C's exchange (inbound); `onec-http`: a call to " +
    "1C's HTTP service (customer export); `ozon`, `wildberries`: a call to the marketplace.",
});
const Status = z.enum(INTEGRATION_STATUSES).openapi({
  description: "Exchange: 1C's answer (`success`, `progress`, `failure`). Outbound: " +
    "`success` for 2xx, `failure` for any other HTTP status. `error`: no answer at all " +
    "(timeout, reset, refused) or an internal error.",
});

const IntegrationLogEntrySchema = z.object({
  id: z.number().int(),
  at: z.string().openapi({ format: "date-time", description: "When the request started." }),
  kind: Kind,
  direction: z.enum(["inbound", "outbound"]),
  method: z.string().openapi({ example: "POST" }),
  url: z.string().openapi({
    description: "Credentials in it (user info, `sessid`, tokens, keys) are masked as `***`.",
  }),
  exchangeType: z.string().nullable().openapi({ description: "Exchange: `type=`." }),
  mode: z.string().nullable().openapi({ description: "Exchange: `mode=`." }),
  file: z.string().nullable().openapi({ description: "Exchange: `filename=`." }),
  status: Status,
  httpStatus: z.number().int().nullable(),
  durationMs: z.number().int(),
  requestId: z.string().nullable().openapi({
    description: "X-Request-Id of the request (exchange) or of the API request that caused " +
      "the call (customer export).",
  }),
  ref: z.string().nullable().openapi({
    description: "What an outbound call was for, e.g. `customer <id>`, `stock-sync run 12`.",
  }),
  clientIp: z.string().nullable(),
  requestBytes: z.number().int().nullable().openapi({
    description: "Size of the request body (an exchange upload is recorded by its size only).",
  }),
  requestBody: z.string().nullable().openapi({
    description: `Outbound: the body sent, secrets masked, cut after ${BODY_LIMIT} characters ` +
      "(`…[truncated: N bytes in all]`).",
  }),
  responseBody: z.string().nullable().openapi({
    description: `The answer's start, secrets masked, cut after ${BODY_LIMIT} characters.`,
  }),
  error: z.string().nullable().openapi({ description: "Why there was no (complete) answer." }),
}).openapi("IntegrationLogEntry");

const PageSchema = z.object({
  items: z.array(IntegrationLogEntrySchema),
  nextCursor,
}).openapi("IntegrationLogPage");

const Cursor = z.object({ at: CursorTimestamp, id: z.number().int().positive() }).strict();

const listRoute = createRoute({
  method: "get",
  path: "/integration-log",
  tags: ["Integration log"],
  summary: "Exchange requests and outbound calls, newest first (admin)",
  description: "One entry per request of 1C's exchange and per call (each attempt) to 1C's " +
    "HTTP service, Ozon and Wildberries. Kept INTEGRATION_LOG_RETENTION_DAYS days.",
  security,
  middleware: [requireRole("admin")] as const,
  request: {
    query: z.object({
      kind: Kind.optional(),
      status: Status.optional(),
      since: z.iso.datetime({ offset: true }).optional().openapi({
        description: "Only entries at or after this ISO 8601 date-time (with zone).",
        example: "2024-05-01T00:00:00Z",
      }),
      limit: limitParam,
      cursor: cursorParam,
    }),
  },
  responses: {
    200: {
      description: "A page of entries.",
      content: { "application/json": { schema: PageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    500: errorResponses[500],
  },
});

export function integrationLogRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor(q.cursor, Cursor);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listIntegrationLog(
      ctx.db,
      {
        kind: q.kind,
        status: q.status,
        since: q.since === undefined ? undefined : new Date(q.since),
      },
      clampLimit(q.limit),
      cursor,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor({ at: page.next.at, id: page.next.id }) : null,
    }, 200);
  });
  return app;
}
