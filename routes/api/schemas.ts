/**
 * Zod schemas of the read API: they validate requests and, through @hono/zod-openapi, are the
 * OpenAPI document. Response schemas mirror the read models' view types, so the type checker
 * catches a read model drifting from what the document promises.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../../src/http/pagination.ts";
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_TTL_HOURS,
  REPLAYED_HEADER,
  type RoutePattern,
} from "../../src/http/idempotency.ts";

export const BEARER = "bearerAuth";
export const security = [{ [BEARER]: [] }];

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457)

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Not Found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().optional(),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Validation failures, one per offending field." }),
    requestId: z.string().optional(),
    runningRunId: z.number().int().optional().openapi({
      description: "On 409 from an import start: the run that holds the import lock.",
    }),
  })
  .openapi("Problem", {
    description: "RFC 9457 problem details; sent as application/problem+json.",
  });
export type ProblemBody = z.infer<typeof ProblemSchema>;

const problemContent = { "application/problem+json": { schema: ProblemSchema } };

export const errorResponses = {
  400: { description: "Invalid parameters (see `issues`) or cursor.", content: problemContent },
  401: { description: "Missing or invalid bearer token.", content: problemContent },
  403: { description: "The token's role may not do this.", content: problemContent },
  404: { description: "No such resource.", content: problemContent },
  409: { description: "Conflicts with the current state.", content: problemContent },
  422: { description: "Understood, but cannot be done.", content: problemContent },
  500: {
    description: "Unexpected error; `requestId` locates it in the logs.",
    content: problemContent,
  },
} as const;

const TITLES = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  422: "Unprocessable Content",
} as const;

/**
 * Problem response for handlers. src/http/problem.ts returns an untyped Response, which
 * OpenAPIHono handlers may not return once every declared response has a schema; this one is
 * checked against the declared Problem schema instead.
 */
export function apiProblem<S extends keyof typeof TITLES>(
  c: Context,
  status: S,
  detail: string,
  extra: Pick<ProblemBody, "issues" | "runningRunId"> = {},
) {
  const body: ProblemBody = {
    type: "about:blank",
    title: TITLES[status],
    status,
    detail,
    ...extra,
  };
  return c.json(body, status, { "Content-Type": "application/problem+json" });
}

/** The 400 problem for a cursor that does not decode (src/http/pagination.ts). */
export function badCursor(c: Context, e: { message: string }) {
  return apiProblem(c, 400, e.message, { issues: [{ path: "cursor", message: e.message }] });
}

// ---------------------------------------------------------------------------------------------
// Pagination

export const limitParam = z.coerce
  .number()
  .int()
  .min(1)
  .optional()
  .openapi({
    description:
      `Page size; default ${DEFAULT_LIMIT}. Values above ${MAX_LIMIT} are clamped to ${MAX_LIMIT}.`,
    example: DEFAULT_LIMIT,
  });

export const cursorParam = z.string().min(1).optional().openapi({
  description: "Opaque `nextCursor` from the previous page; omit for the first page.",
});

export const nextCursor = z.string().nullable().openapi({
  description: "Pass as `cursor` for the next page; null on the last page.",
});

// ---------------------------------------------------------------------------------------------
// Products

export const PriceSchema = z
  .object({
    priceTypeId: z.string().openapi({ description: "Ид of the price type (ТипЦены)." }),
    priceType: z.string().nullable().openapi({
      description: "Its name; null if 1C never sent it.",
    }),
    value: z.number().openapi({ example: 1490.5 }),
    currency: z.string().nullable().openapi({ example: "RUB" }),
  })
  .openapi("Price");

export const StockSchema = z
  .object({
    warehouseId: z.string(),
    warehouse: z.string().nullable().openapi({ description: "Name; null if 1C never sent it." }),
    quantity: z.number(),
  })
  .openapi("Stock");

/** The offer as 1C describes it; routes/api/products.ts adds what the platform reads on top. */
export const CatalogOfferSchema = z
  .object({
    onecId: z.string().openapi({ example: "3f2a…#9c1b…" }),
    isActive: z.boolean(),
    characteristics: z.record(z.string(), z.string()).openapi({ example: { "Размер": "XL" } }),
    prices: z.array(PriceSchema),
    stocks: z.array(StockSchema),
    quantity: z.number().nullable().openapi({ description: "Total quantity (Количество)." }),
  });

/** The product as 1C describes it, without its offers (see routes/api/products.ts). */
export const CatalogProductSchema = z
  .object({
    onecId: z.string(),
    sku: z.string().nullable().openapi({ description: 'Артикул; "" or null when 1C sent none.' }),
    barcode: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    categoryIds: z.array(z.string()).openapi({ description: "Ид of the product's groups." }),
    manufacturer: z.string().nullable(),
    isActive: z.boolean(),
    properties: z.record(z.string(), z.string()).openapi({
      description: "Property name → value; dictionary (Справочник) values resolved, " +
        'several values joined with ", ".',
      example: { "Цвет": "Красный" },
    }),
    images: z.array(z.string()).openapi({ example: ["/api/v1/images/import_files/ab/x.jpg"] }),
    updatedAt: z.string().openapi({
      format: "date-time",
      description: "Latest change to the product or any of its offers, prices or stocks.",
    }),
  });

// ---------------------------------------------------------------------------------------------
// Catalog reference data

export interface CategoryNode {
  id: string;
  name: string;
  isActive: boolean;
  children: CategoryNode[];
}

export const CategorySchema: z.ZodType<CategoryNode> = z
  .object({
    id: z.string(),
    name: z.string(),
    isActive: z.boolean(),
    get children(): z.ZodArray<z.ZodType<CategoryNode>> {
      return z.array(CategorySchema);
    },
  })
  .openapi("Category");

export const CategoryListSchema = z
  .object({ items: z.array(CategorySchema) })
  .openapi("CategoryTree");

// ---------------------------------------------------------------------------------------------
// Import audit

export const ImportStatus = z.enum(["queued", "running", "success", "failed"]);

const timestamp = z.string().openapi({ format: "date-time" });

export const ImportRunSchema = z
  .object({
    id: z.number().int(),
    sessionId: z.string().nullable(),
    fileName: z.string(),
    kind: z.string().nullable().openapi({
      description: "What the file held: catalog, offers, classifier, mixed, unknown.",
    }),
    status: ImportStatus,
    progress: z.string().nullable(),
    fileSize: z.number().int().nullable(),
    bytesRead: z.number().int(),
    fullExchange: z.boolean().nullable(),
    counts: z.record(
      z.string(),
      z.object({
        created: z.number().optional(),
        updated: z.number().optional(),
        unchanged: z.number().optional(),
        deactivated: z.number().optional(),
        skipped: z.number().optional(),
      }),
    ),
    errors: z.array(z.string()),
    error: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    durationSeconds: z.number().nullable().openapi({
      description: "finishedAt − startedAt; null until the run has finished.",
    }),
  })
  .openapi("ImportRun");

export const ImportPageSchema = z
  .object({ items: z.array(ImportRunSchema), nextCursor })
  .openapi("ImportPage");

// ---------------------------------------------------------------------------------------------
// Idempotency-Key (src/http/idempotency.ts)

type OpenApiDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

const WRITE_METHODS = ["post", "put", "patch", "delete"] as const;

/** The header as every write documents it (lower-case, as the generated header params are). */
const IDEMPOTENCY_KEY_PARAMETER = {
  name: "idempotency-key",
  in: "header",
  required: false,
  description: "A client-chosen unique key for this request (e.g. a UUID), " +
    `1–${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters. The same key with the same ` +
    `request (method, path, body) within ${IDEMPOTENCY_TTL_HOURS} h replays the first 2xx ` +
    "answer, with header `Idempotent-Replayed: true`, without doing the work again; with " +
    "another request it is a 422; while the first is still running, a 409. Keys belong to " +
    "the API token. Only 2xx answers are kept: after a 4xx or 5xx the key is free again.",
  schema: { type: "string", minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
} as const;

const IDEMPOTENCY_RESPONSES = {
  409: "A request with the same Idempotency-Key is still in progress (see Retry-After).",
  422: "The Idempotency-Key was already used with a different request within " +
    `${IDEMPOTENCY_TTL_HOURS} h.`,
} as const;

/**
 * Documents Idempotency-Key on every write of the generated document in one place, as
 * src/http/idempotency.ts applies it to every write in one middleware: the header, the
 * `Idempotent-Replayed` header of 2xx answers, and the 409 and 422 it may answer. Routes in
 * `notHonoured` ("POST /api/v1/customers/imports") say in their own description why not.
 */
export function documentIdempotency(
  doc: OpenApiDocument,
  notHonoured: readonly RoutePattern[],
): OpenApiDocument {
  const problemRef = { $ref: "#/components/schemas/Problem" };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of WRITE_METHODS) {
      const op = item[method];
      if (!op || notHonoured.includes(`${method.toUpperCase()} ${path}` as RoutePattern)) {
        continue;
      }
      const params = op.parameters ?? [];
      const named = (p: (typeof params)[number]) =>
        "name" in p && p.name.toLowerCase() === IDEMPOTENCY_KEY_PARAMETER.name;
      if (!params.some(named)) op.parameters = [...params, { ...IDEMPOTENCY_KEY_PARAMETER }];
      const responses = op.responses ?? {};
      for (const [code, response] of Object.entries(responses)) {
        if (!/^2\d\d$/.test(code) || "$ref" in response) continue;
        response.headers = {
          ...response.headers,
          [REPLAYED_HEADER]: {
            description: "`true` when this is the stored answer to an earlier request with " +
              "the same Idempotency-Key.",
            schema: { type: "string", enum: ["true"] },
          },
        };
      }
      for (const [code, why] of Object.entries(IDEMPOTENCY_RESPONSES)) {
        const existing = responses[code];
        responses[code] = existing && !("$ref" in existing)
          ? { ...existing, description: `${existing.description} Or: ${why}` }
          : { description: why, content: { "application/problem+json": { schema: problemRef } } };
      }
      op.responses = responses;
    }
  }
  return doc;
}
