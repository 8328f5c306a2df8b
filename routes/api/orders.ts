/**
 * /api/v1 routes of the orders capability: the platform creates, changes and reads orders;
 * 1C receives them through `type=sale` (src/orders/sale-exchange.ts).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Transaction } from "kysely";
import type { AppContext, AppEnv } from "../../src/context.ts";
import type { Database } from "../../db/schema.ts";
import { HTTPException } from "hono/http-exception";
import { requireRole } from "../../src/http/api-auth.ts";
import { problem } from "../../src/http/problem.ts";
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
  limitParam,
  security,
} from "./schemas.ts";
import {
  CreateOrderSchema,
  OrderImportPageSchema,
  OrderPageSchema,
  OrderSchema,
  OrderStatusSchema,
  UpdateOrderSchema,
} from "../../src/orders/api-schemas.ts";
import { createOrder, updateOrder } from "../../src/orders/order-store.ts";
import {
  getOrder,
  listOrders,
  type OrderCursor,
  type OrderView,
} from "../../src/orders/order-read-model.ts";
import {
  idempotencyDetail,
  idempotencyScope,
  parseIdempotencyKey,
  REPLAYED_HEADER,
  requestFingerprint,
  withIdempotency,
} from "../../src/http/idempotency.ts";
import { listOrderImports } from "../../src/orders/order-import-read-model.ts";

const idParam = z.object({
  id: z.string().regex(/^\d{1,18}$/, "must be an order id (digits)").openapi({
    description: "The order's id.",
    example: "36",
  }),
});

const IdCursor = z.object({ id: z.string().regex(/^\d{1,18}$/) }).strict();
const ChangeCursor = z.object({ at: CursorTimestamp, id: z.string().regex(/^\d{1,18}$/) })
  .strict();

const orderContent = { "application/json": { schema: OrderSchema } };

const createRouteDef = createRoute({
  method: "post",
  path: "/orders",
  tags: ["Orders"],
  summary: "Create an order (platform, admin)",
  description: "Offers are looked up by their 1C Ид; totals are computed here (lines + " +
    "delivery). With `Idempotency-Key`, the order and its stored answer are committed in one " +
    "transaction, and a concurrent retry with the same key waits for the first and replays " +
    "it. The order goes to 1C at its next `type=sale&mode=query`.",
  security,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateOrderSchema } } },
  },
  responses: {
    201: { description: "The order.", content: orderContent },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    409: errorResponses[409],
    422: errorResponses[422],
    500: errorResponses[500],
  },
});

const updateRouteDef = createRoute({
  method: "patch",
  path: "/orders/{id}",
  tags: ["Orders"],
  summary: "Change an order on the platform (platform, admin)",
  description: "Only the fields given change. A real change bumps `version`, and the order " +
    "goes to 1C again at the next `mode=query`; changes reported by 1C do not. Items and " +
    "delivery of a shipped or cancelled order cannot change (409).",
  security,
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: UpdateOrderSchema } } },
  },
  responses: {
    200: { description: "The order.", content: orderContent },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    409: errorResponses[409],
    422: errorResponses[422],
    500: errorResponses[500],
  },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/orders/{id}",
  tags: ["Orders"],
  summary: "One order with its lines and its 1C side",
  security,
  request: { params: idParam },
  responses: {
    200: { description: "The order.", content: orderContent },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/orders",
  tags: ["Orders"],
  summary: "List orders",
  description: "Cursor-paginated by id. With `updatedSince`, ordered by change time (either " +
    "side: platform edits, 1C status documents, 1C's confirmation) and holding the orders " +
    "changed at or after it.",
  security,
  request: {
    query: z.object({
      limit: limitParam,
      cursor: cursorParam,
      status: OrderStatusSchema.optional(),
      updatedSince: z.iso.datetime({ offset: true }).optional().openapi({
        description: "ISO 8601 date-time with zone.",
        example: "2024-05-01T00:00:00Z",
      }),
    }),
  },
  responses: {
    200: {
      description: "A page of orders.",
      content: { "application/json": { schema: OrderPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const importsRouteDef = createRoute({
  method: "get",
  path: "/order-imports",
  tags: ["Orders"],
  summary: "Documents 1C sent about orders, newest first",
  description: "One run per document file (type=sale mode=file/import): how many documents " +
    "it held, how many changed an order, how many were unchanged, and which named no order " +
    "of ours.",
  security,
  request: { query: z.object({ limit: limitParam, cursor: cursorParam }) },
  responses: {
    200: {
      description: "A page of runs.",
      content: { "application/json": { schema: OrderImportPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const RunCursor = z.object({ id: z.string().regex(/^\d{1,18}$/) }).strict();

export function ordersRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // A body that is not JSON (or not declared as JSON) is the client's mistake, a 400; Hono
  // signals it with an HTTPException, which the app-wide handler would turn into a 500.
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      return problem(c, err.status, `${err.message} (send Content-Type: application/json).`);
    }
    throw err;
  });
  const writers = requireRole("platform", "admin");
  app.use(
    "/orders",
    async (c, next) => c.req.method === "POST" ? await writers(c, next) : await next(),
  );
  app.use(
    "/orders/:id",
    async (c, next) => c.req.method === "PATCH" ? await writers(c, next) : await next(),
  );

  app.openapi(createRouteDef, async (c) => {
    const body = c.req.valid("json");
    // Also checked by the API's idempotency middleware, which leaves this route to its own
    // transaction (routes/api/index.ts).
    const key = parseIdempotencyKey(c.req.header("idempotency-key"));
    if (key instanceof Error) return apiProblem(c, 400, key.message);
    const work = async (tx: Transaction<Database>) => {
      const r = await createOrder(tx, ctx.config.orders, body);
      if (!r.ok) {
        return { store: false, status: r.status, body: { detail: r.detail, issues: r.issues } };
      }
      return { store: true, status: 201, body: await getOrder(tx, r.id) };
    };
    let status: number;
    let result: unknown;
    let replayed = false;
    if (key === undefined) {
      ({ status, body: result } = await ctx.db.transaction().execute(work));
    } else {
      const outcome = await withIdempotency(ctx.db, {
        scope: idempotencyScope(c),
        key,
        requestHash: await requestFingerprint(c),
      }, work);
      if (outcome.kind === "mismatch") {
        return apiProblem(c, 422, idempotencyDetail.mismatch(key));
      }
      if (outcome.kind === "in-progress") {
        return apiProblem(c, 409, idempotencyDetail.inProgress(key));
      }
      ({ status, body: result } = outcome);
      replayed = outcome.kind === "replayed";
    }
    if (status !== 201) {
      // createOrder refuses only with 422 (what the body asks for cannot be done).
      const failure = result as { detail: string; issues?: { path: string; message: string }[] };
      return apiProblem(c, 422, failure.detail, { issues: failure.issues });
    }
    const order = result as OrderView;
    c.header("Location", `/api/v1/orders/${order.id}`);
    if (replayed) c.header(REPLAYED_HEADER, "true");
    return c.json(order, 201);
  });

  app.openapi(updateRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const r = await ctx.db.transaction().execute((tx) => updateOrder(tx, id, body));
    if (!r.ok) return apiProblem(c, r.status, r.detail, { issues: r.issues });
    return c.json((await getOrder(ctx.db, id))!, 200);
  });

  app.openapi(getRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const order = await getOrder(ctx.db, id);
    if (!order) return apiProblem(c, 404, `No order ${id}.`);
    return c.json(order, 200);
  });

  app.openapi(listRouteDef, async (c) => {
    const q = c.req.valid("query");
    const updatedSince = q.updatedSince === undefined ? undefined : new Date(q.updatedSince);
    // A cursor only fits the ordering it was issued for.
    const cursor = decodeOptionalCursor<OrderCursor>(
      q.cursor,
      updatedSince ? ChangeCursor : IdCursor,
    );
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listOrders(
      ctx.db,
      { status: q.status, updatedSince },
      clampLimit(q.limit),
      cursor,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor(page.next) : null,
    }, 200);
  });

  app.openapi(importsRouteDef, async (c) => {
    const q = c.req.valid("query");
    const decoded = decodeOptionalCursor(q.cursor, RunCursor);
    if (decoded instanceof BadCursorError) return badCursor(c, decoded);
    const before = decoded?.id;
    const page = await listOrderImports(ctx.db, clampLimit(q.limit), before);
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor({ id: page.next }) : null,
    }, 200);
  });

  return app;
}
