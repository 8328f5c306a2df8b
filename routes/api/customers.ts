/**
 * /api/v1/customers: platform customers and their sync with 1C both ways (issue 4).
 *
 * Static paths (sync-stats, conflicts, dead-letters, imports) are registered before
 * /customers/{id}: Hono tries routes in registration order.
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
import { createSession } from "../../src/exchange/sessions.ts";
import { writeUpload } from "../../src/exchange/uploads.ts";
import {
  apiProblem,
  badCursor,
  cursorParam,
  errorResponses,
  limitParam,
  security,
} from "./schemas.ts";
import {
  ConflictPageSchema,
  CustomerCreateSchema,
  CustomerPageSchema,
  CustomerPatchSchema,
  CustomerSchema,
  DeadLetterPageSchema,
  ImportRunSchema,
  OnecCustomerBodySchema,
  OnecCustomerReplySchema,
  RequeuedSchema,
  ResolvedSchema,
  ResolveSchema,
  SyncLogSchema,
  SyncStatsSchema,
} from "../../src/customers/api-schemas.ts";
import {
  createCustomer,
  type CustomerCursor,
  customerView,
  getCustomer,
  listCustomers,
  updateCustomer,
} from "../../src/customers/customer-store.ts";
import type { CustomerFields } from "../../src/customers/customer-fields.ts";
import { listConflicts, resolveConflict } from "../../src/customers/conflicts.ts";
import {
  JOB_ID,
  listDeadLetters,
  requeueCustomer,
  retryDeadLetter,
} from "../../src/customers/export-queue.ts";
import { syncStats } from "../../src/customers/sync-stats.ts";
import { enqueueImport } from "../../src/customers/import-job.ts";
import { createRun, getRun, runView } from "../../src/customers/import-runs.ts";

const TAG = "Customers";
const writers = requireRole("admin", "platform");

/** Bodies larger than this are refused: a counterparty directory is megabytes, not gigabytes. */
const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

const OUTBOUND_CONTRACT = `

**Outbound contract (what 1C implements).** The service never waits on 1C: a registration or a
significant edit queues an export job, which calls 1C's HTTP service:

- \`POST {ONEC_HTTP_URL}/customers\` for a customer 1C does not know yet,
  \`PUT {ONEC_HTTP_URL}/customers/{Ид}\` for one it does;
- \`Authorization: Basic\` ONEC_HTTP_LOGIN:ONEC_HTTP_PASSWORD (UTF-8);
  \`Content-Type: application/json; charset=utf-8\`;
- body (schema OnecCustomerRequest): \`platform_id, email, phone, customer_type, first_name,
  last_name, company_name, tax_id, kpp, contact_person, role\`;
- answer 200/201 \`{"id": "<Ид>"}\` (schema OnecCustomerReply): the customer is linked and
  synced; 409 \`{"id": "<Ид>"}\`: 1C already has this platform_id (it is the idempotency key of
  a POST), linked as well; any other 4xx: rejected for good, \`syncStatus=error\` with 1C's
  message (a JSON \`error\`/\`message\` or the text); 5xx, 408, 429, no answer within
  ONEC_HTTP_TIMEOUT_SECONDS or a network error: retried with exponential backoff
  (CUSTOMER_EXPORT_RETRY_LIMIT retries, CUSTOMER_EXPORT_RETRY_DELAY_SECONDS base), then moved
  to the dead letter queue (GET /api/v1/customers/dead-letters);
- optional: \`GET {ONEC_HTTP_URL}/counterparties\` answers the counterparty directory as a
  CommerceML document (КоммерческаяИнформация/Контрагенты) for
  \`deno task sync-customers --direction import\`.`;

const IdParam = z.object({
  id: z.uuid("must be a customer id (uuid)").openapi({ description: "The customer's id." }),
});

// ---- Routes ---------------------------------------------------------------------------------

const listRoute = createRoute({
  method: "get",
  path: "/customers",
  tags: [TAG],
  summary: "List customers",
  description: "Cursor-paginated in registration order.",
  security,
  request: {
    query: z.object({
      limit: limitParam,
      cursor: cursorParam,
      syncStatus: z.enum(["pending", "synced", "error", "conflict"]).optional(),
      needs1cExport: z.enum(["true", "false"]).optional(),
      email: z.string().min(1).optional().openapi({ description: "Exact, case-insensitive." }),
      onecId: z.string().min(1).optional().openapi({ description: "The 1C Ид." }),
    }),
  },
  responses: {
    200: {
      description: "A page.",
      content: { "application/json": { schema: CustomerPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const createRouteDef = createRoute({
  method: "post",
  path: "/customers",
  tags: [TAG],
  summary: "Register a customer (admin, platform)",
  description: "Creates the customer with `needs1cExport=true` and queues its export to 1C; " +
    "answers at once (201), 1C's answer shows later in `syncStatus`. A retry with the same " +
    "`Idempotency-Key` replays the 201; without one, a retried POST answers 409 (the email " +
    "exists)." + OUTBOUND_CONTRACT,
  security,
  middleware: writers,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: CustomerCreateSchema } },
    },
  },
  responses: {
    201: {
      description: "Registered.",
      content: { "application/json": { schema: CustomerSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    409: { ...errorResponses[409], description: "A customer with this email exists." },
    422: { ...errorResponses[422], description: "A person without a name, a company without one." },
    500: errorResponses[500],
  },
});

const statsRoute = createRoute({
  method: "get",
  path: "/customers/sync-stats",
  tags: [TAG],
  summary: "Customer sync figures",
  security,
  responses: {
    200: { description: "Figures.", content: { "application/json": { schema: SyncStatsSchema } } },
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const conflictsRoute = createRoute({
  method: "get",
  path: "/customers/conflicts",
  tags: [TAG],
  summary: "Conflicts waiting for a person",
  description: "Open ones by default; oldest first.",
  security,
  request: {
    query: z.object({
      limit: limitParam,
      cursor: cursorParam,
      status: z.enum(["open", "resolved", "superseded", "all"]).optional().openapi({
        description: "Default `open`.",
      }),
      customerId: z.uuid().optional(),
    }),
  },
  responses: {
    200: {
      description: "A page.",
      content: { "application/json": { schema: ConflictPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const resolveRoute = createRoute({
  method: "post",
  path: "/customers/conflicts/{id}/resolve",
  tags: [TAG],
  summary: "Resolve a conflict (admin, platform)",
  security,
  middleware: writers,
  request: {
    params: z.object({ id: z.string().regex(/^\d{1,15}$/, "must be a conflict id (digits)") }),
    body: { required: true, content: { "application/json": { schema: ResolveSchema } } },
  },
  responses: {
    200: {
      description: "Resolved; the customer as it is now.",
      content: { "application/json": { schema: ResolvedSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    409: {
      ...errorResponses[409],
      description: "Resolved already, or another customer is in the way.",
    },
    422: { ...errorResponses[422], description: "merge of a price group." },
    500: errorResponses[500],
  },
});

const deadLettersRoute = createRoute({
  method: "get",
  path: "/customers/dead-letters",
  tags: [TAG],
  summary: "Exports whose retries ran out",
  security,
  request: { query: z.object({ limit: limitParam, cursor: cursorParam }) },
  responses: {
    200: {
      description: "A page.",
      content: { "application/json": { schema: DeadLetterPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const retryRoute = createRoute({
  method: "post",
  path: "/customers/dead-letters/{jobId}/retry",
  tags: [TAG],
  summary: "Retry a dead-lettered export (admin, platform)",
  description: "Queues the customer's export again with a fresh retry budget.",
  security,
  middleware: writers,
  request: { params: z.object({ jobId: z.string().regex(JOB_ID, "must be a job id (uuid)") }) },
  responses: {
    202: { description: "Queued.", content: { "application/json": { schema: RequeuedSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const importRoute = createRoute({
  method: "post",
  path: "/customers/imports",
  tags: [TAG],
  summary: "Import a Контрагенты file (admin)",
  description: "The body is a CommerceML document (UTF-8 or windows-1251): a `Контрагенты` " +
    "directory, or order documents whose buyers are read. It is stored and imported by a job; " +
    "follow the run at GET /api/v1/customers/imports/{id}. `Idempotency-Key` is ignored " +
    "here: the body is streamed to storage (up to 512 MiB), never held whole, so it cannot " +
    "be hashed before the import starts. Posting the same file again is safe nonetheless: " +
    "it makes a second run that finds every counterparty unchanged.",
  security,
  middleware: requireRole("admin"),
  request: {
    query: z.object({
      name: z.string().min(1).max(200).optional().openapi({
        description: "A name for the audit (default counterparties.xml).",
      }),
    }),
    body: {
      required: true,
      content: { "application/xml": { schema: z.string().openapi({ format: "binary" }) } },
    },
  },
  responses: {
    202: { description: "Queued.", content: { "application/json": { schema: ImportRunSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    500: errorResponses[500],
  },
});

const importGetRoute = createRoute({
  method: "get",
  path: "/customers/imports/{id}",
  tags: [TAG],
  summary: "One counterparty import run",
  security,
  request: {
    params: z.object({ id: z.string().regex(/^\d{1,15}$/, "must be a run id (digits)") }),
  },
  responses: {
    200: { description: "The run.", content: { "application/json": { schema: ImportRunSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/customers/{id}",
  tags: [TAG],
  summary: "One customer",
  security,
  request: { params: IdParam },
  responses: {
    200: {
      description: "The customer.",
      content: { "application/json": { schema: CustomerSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/customers/{id}",
  tags: [TAG],
  summary: "Edit a customer (admin, platform)",
  description: "Fields left out stay; null clears. A change of a significant field (email, " +
    "phone, names, company, ИНН, КПП, role) queues one export to 1C (edits in quick " +
    "succession go as one request); other fields, and edits that only restate what 1C has, " +
    "send nothing.",
  security,
  middleware: writers,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: CustomerPatchSchema } } },
  },
  responses: {
    200: { description: "Saved.", content: { "application/json": { schema: CustomerSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    409: { ...errorResponses[409], description: "Another customer has this email." },
    422: errorResponses[422],
    500: errorResponses[500],
  },
});

const exportRoute = createRoute({
  method: "post",
  path: "/customers/{id}/export",
  tags: [TAG],
  summary: "Send a customer to 1C again (admin, platform)",
  description: "After 1C rejected it or retries ran out: queues a new export with a fresh " +
    "retry budget (and drops the customer's dead letters).",
  security,
  middleware: writers,
  request: { params: IdParam },
  responses: {
    202: { description: "Queued.", content: { "application/json": { schema: RequeuedSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const syncLogRoute = createRoute({
  method: "get",
  path: "/customers/{id}/sync-log",
  tags: [TAG],
  summary: "A customer's sync log, newest first",
  security,
  request: { params: IdParam, query: z.object({ limit: limitParam, cursor: cursorParam }) },
  responses: {
    200: { description: "A page.", content: { "application/json": { schema: SyncLogSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

// ---- Cursors --------------------------------------------------------------------------------

const CustomerCursorShape = z.object({ at: CursorTimestamp, id: z.uuid() }).strict();
const IdCursor = z.object({ id: z.number().int().positive() }).strict();
const JobCursor = z.object({ job: z.string().regex(JOB_ID) }).strict();

// ---- Handlers -------------------------------------------------------------------------------

export function customersRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.register("OnecCustomerRequest", OnecCustomerBodySchema);
  app.openAPIRegistry.register("OnecCustomerReply", OnecCustomerReplySchema);

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor<CustomerCursor>(q.cursor, CustomerCursorShape);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listCustomers(
      ctx.db,
      {
        syncStatus: q.syncStatus,
        needs1cExport: q.needs1cExport === undefined ? undefined : q.needs1cExport === "true",
        email: q.email,
        onecId: q.onecId,
      },
      clampLimit(q.limit),
      cursor,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor({ at: page.next.at, id: page.next.id }) : null,
      total: page.total,
    }, 200);
  });

  app.openapi(createRouteDef, async (c) => {
    const b = c.req.valid("json");
    const r = await createCustomer(ctx, toFields(b), c.var.requestId);
    if (!r.ok) return apiProblem(c, r.status as 409 | 422, r.detail);
    c.var.log.info({ customerId: r.customer.id }, "customer registered; export queued");
    return c.json(r.customer, 201);
  });

  app.openapi(statsRoute, async (c) => {
    return c.json(await syncStats(ctx.db, ctx.config.customers.timeZone), 200);
  });

  app.openapi(conflictsRoute, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor(q.cursor, IdCursor);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const status = q.status === "all" ? undefined : q.status ?? "open";
    const page = await listConflicts(
      ctx.db,
      { status, customerId: q.customerId },
      clampLimit(q.limit),
      cursor?.id,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next === null ? null : encodeCursor({ id: page.next }),
    }, 200);
  });

  app.openapi(resolveRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { resolution } = c.req.valid("json");
    const r = await resolveConflict(ctx, id, resolution, c.var.requestId);
    if (!r.ok) return apiProblem(c, r.status, r.detail);
    c.var.log.info({ conflictId: id, resolution }, "customer conflict resolved");
    return c.json({ conflict: r.conflict, customer: r.customer }, 200);
  });

  app.openapi(deadLettersRoute, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor(q.cursor, JobCursor);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listDeadLetters(ctx, clampLimit(q.limit), cursor?.job);
    return c.json({
      items: page.items,
      nextCursor: page.next === null ? null : encodeCursor({ job: page.next }),
    }, 200);
  });

  app.openapi(retryRoute, async (c) => {
    const { jobId } = c.req.valid("param");
    const r = await retryDeadLetter(ctx, jobId, c.var.requestId);
    if (!r.ok) return apiProblem(c, r.status, r.detail);
    c.var.log.info({ customerId: r.customerId, deadLetter: jobId }, "customer export retried");
    return c.json({ customerId: r.customerId, jobId: r.jobId }, 202);
  });

  app.openapi(importRoute, async (c) => {
    const { name = "counterparties.xml" } = c.req.valid("query");
    const body = c.req.raw.body;
    if (body === null) return apiProblem(c, 400, "Send the CommerceML document as the body.");
    const session = await createSession(ctx.db, {
      type: "api",
      clientIp: null,
      ttlSeconds: ctx.config.exchange.sessionTtlSeconds,
    });
    let tooLarge = false;
    const upload = await writeUpload(
      ctx.db,
      session.id,
      name,
      limited(body, () => {
        tooLarge = true;
      }),
      "upload",
    );
    if (tooLarge) {
      await ctx.db.deleteFrom("upload_files").where("id", "=", upload.id).execute();
      return apiProblem(c, 400, `The body is larger than ${MAX_IMPORT_BYTES} bytes.`);
    }
    if (upload.size === 0) {
      await ctx.db.deleteFrom("upload_files").where("id", "=", upload.id).execute();
      return apiProblem(c, 400, "The body is empty: send the CommerceML document.");
    }
    // The run exists before the job, so the answer can name it.
    const run = await createRun(ctx.db, {
      label: name,
      uploadFileId: upload.id,
      requestId: c.var.requestId,
      fileSize: upload.size,
    });
    await enqueueImport(ctx, { uploadFileId: upload.id, requestId: c.var.requestId });
    c.var.log.info({ runId: run.id, bytes: upload.size }, "counterparty import queued");
    return c.json(runView(run), 202);
  });

  app.openapi(importGetRoute, async (c) => {
    const { id } = c.req.valid("param");
    const run = await getRun(ctx.db, id);
    if (!run) return apiProblem(c, 404, `No customer import run ${id}.`);
    return c.json(runView(run), 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await getCustomer(ctx.db, id);
    if (!row) return apiProblem(c, 404, `No customer ${id}.`);
    return c.json(customerView(row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const r = await updateCustomer(ctx, id, b as Partial<CustomerFields>, c.var.requestId);
    if (!r.ok) return apiProblem(c, r.status, r.detail);
    return c.json(r.customer, 200);
  });

  app.openapi(exportRoute, async (c) => {
    const { id } = c.req.valid("param");
    const jobId = await ctx.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom("customers").select("id").where("id", "=", id)
        .forUpdate().executeTakeFirst();
      if (!row) return undefined;
      return await requeueCustomer(ctx, tx, id, {
        requestId: c.var.requestId,
        reason: "requested through the API",
      });
    });
    if (jobId === undefined) return apiProblem(c, 404, `No customer ${id}.`);
    return c.json({ customerId: id, jobId }, 202);
  });

  app.openapi(syncLogRoute, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor(q.cursor, IdCursor);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const exists = await getCustomer(ctx.db, id);
    if (!exists) return apiProblem(c, 404, `No customer ${id}.`);
    const limit = clampLimit(q.limit);
    let query = ctx.db.selectFrom("customer_sync_log").selectAll().where("customer_id", "=", id)
      .orderBy("id", "desc").limit(limit + 1);
    if (cursor) query = query.where("id", "<", String(cursor.id));
    const rows = await query.execute();
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map((r) => ({
      id: Number(r.id),
      operation: r.operation,
      status: r.status,
      details: r.details,
      errorMessage: r.error_message,
      createdAt: r.created_at.toISOString(),
    }));
    return c.json({
      items,
      nextCursor: more ? encodeCursor({ id: items[items.length - 1].id }) : null,
    }, 200);
  });

  return app;
}

function toFields(b: z.infer<typeof CustomerCreateSchema>): CustomerFields {
  return {
    email: b.email,
    phone: b.phone ?? null,
    firstName: b.firstName ?? null,
    lastName: b.lastName ?? null,
    companyName: b.companyName ?? null,
    taxId: b.taxId ?? null,
    kpp: b.kpp ?? null,
    customerType: b.customerType,
    role: b.role ?? null,
    contactPerson: b.contactPerson ?? null,
    address: b.address ?? null,
  };
}

/** The request body, cut off (and flagged) past MAX_IMPORT_BYTES. */
async function* limited(
  body: ReadableStream<Uint8Array>,
  onTooLarge: () => void,
): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > MAX_IMPORT_BYTES) {
      onTooLarge();
      return; // leaving the loop cancels the request body
    }
    yield chunk;
  }
}
