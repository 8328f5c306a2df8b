/**
 * Zod schemas of the customers API: they validate requests and are its OpenAPI document.
 * Bodies are camelCase; the 1C side of the contract (snake_case) is described here too, as
 * components a 1C programmer reads to implement the HTTP service.
 */
import { z } from "@hono/zod-openapi";

const text = (max: number) => z.string().trim().max(max);

/** The customer fields a platform sends; every one may be null (cleared) on PATCH. */
const fields = {
  email: z.string().trim().pipe(z.email().max(254)).openapi({
    description: "Unique among customers, compared trimmed and case-insensitively.",
    example: "buyer@example.com",
  }),
  phone: text(40).openapi({
    description: "Any common notation; stored as given and compared in E.164.",
    example: "+7 912 345-67-89",
  }),
  firstName: text(200),
  lastName: text(200),
  companyName: text(500).openapi({ example: "ООО «Ромашка»" }),
  taxId: z.string().trim().regex(/^\d{10}(\d{2})?$/, "ИНН has 10 (organisation) or 12 digits")
    .openapi({ description: "ИНН.", example: "7707083893" }),
  kpp: z.string().trim().regex(/^\d{4}[0-9A-Z]{2}\d{3}$/, "КПП has 9 characters")
    .openapi({ description: "КПП.", example: "773601001" }),
  customerType: z.enum(["individual", "legal_entity"]),
  role: text(100).openapi({
    description: "Price group: decides which prices 1C assigns. A change from 1C is reviewed " +
      "by a person (a role_change conflict).",
    example: "Опт-1",
  }),
  contactPerson: text(300),
  address: text(1000),
};

export const CustomerCreateSchema = z.object({
  email: fields.email,
  phone: fields.phone.nullable().optional(),
  firstName: fields.firstName.nullable().optional(),
  lastName: fields.lastName.nullable().optional(),
  companyName: fields.companyName.nullable().optional(),
  taxId: fields.taxId.nullable().optional(),
  kpp: fields.kpp.nullable().optional(),
  customerType: fields.customerType,
  role: fields.role.nullable().optional(),
  contactPerson: fields.contactPerson.nullable().optional(),
  address: fields.address.nullable().optional(),
}).strict().openapi("CustomerCreate");

export const CustomerPatchSchema = z.object({
  email: fields.email.nullable().optional(),
  phone: fields.phone.nullable().optional(),
  firstName: fields.firstName.nullable().optional(),
  lastName: fields.lastName.nullable().optional(),
  companyName: fields.companyName.nullable().optional(),
  taxId: fields.taxId.nullable().optional(),
  kpp: fields.kpp.nullable().optional(),
  customerType: fields.customerType.optional(),
  role: fields.role.nullable().optional(),
  contactPerson: fields.contactPerson.nullable().optional(),
  address: fields.address.nullable().optional(),
}).strict().openapi("CustomerPatch");

const timestamp = z.string().openapi({ format: "date-time" });

export const CustomerSchema = z.object({
  id: z.string().openapi({ format: "uuid", description: "The platform's id (platform_id in 1C)." }),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  companyName: z.string().nullable(),
  taxId: z.string().nullable(),
  kpp: z.string().nullable(),
  customerType: fields.customerType,
  role: z.string().nullable(),
  contactPerson: z.string().nullable(),
  address: z.string().nullable(),
  onecId: z.string().nullable().openapi({ description: "The counterparty's Ид in 1C." }),
  syncStatus: z.enum(["pending", "synced", "error", "conflict"]).openapi({
    description: "pending: 1C has not confirmed the latest significant change yet; synced; " +
      "error: 1C rejected it or retries ran out (see syncErrorMessage); conflict: a conflict " +
      "waits at GET /api/v1/customers/conflicts.",
  }),
  syncErrorMessage: z.string().nullable(),
  lastSyncAt: timestamp.nullable(),
  createdIn1c: z.boolean(),
  needs1cExport: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
}).openapi("Customer");

export const CustomerPageSchema = z.object({
  items: z.array(CustomerSchema),
  nextCursor: z.string().nullable(),
  total: z.number().int(),
}).openapi("CustomerPage");

const values = z.record(z.string(), z.string().nullable());

export const ConflictSchema = z.object({
  id: z.number().int(),
  customerId: z.string(),
  kind: z.enum(["email_linked_to_other", "role_change"]).openapi({
    description: "email_linked_to_other: a 1C counterparty gives an email another customer " +
      "(linked to another counterparty) has; nothing of it was applied. role_change: 1C gives " +
      "another price group; everything else was applied.",
  }),
  onecId: z.string().openapi({ description: "Ид of the 1C counterparty that raised it." }),
  platformValues: values.openapi({
    description: "The customer's fields (and onecId); for an email conflict also emailHeldBy, " +
      "the customer that has the email.",
  }),
  onecValues: values,
  onecChangedAt: timestamp.nullable(),
  status: z.enum(["open", "resolved", "superseded"]),
  resolution: z.enum(["keep_platform", "take_1c", "merge"]).nullable(),
  resolvedAt: timestamp.nullable(),
  createdAt: timestamp,
}).openapi("CustomerConflict");

export const ConflictPageSchema = z.object({
  items: z.array(ConflictSchema),
  nextCursor: z.string().nullable(),
}).openapi("CustomerConflictPage");

export const ResolveSchema = z.object({
  resolution: z.enum(["keep_platform", "take_1c", "merge"]).openapi({
    description: "keep_platform: the platform's values stay (and are sent to 1C); take_1c: " +
      "1C's values replace them; merge (email conflicts): link to the 1C counterparty, fill " +
      "the platform's empty fields from 1C and send the result to 1C.",
  }),
}).strict().openapi("ConflictResolution");

export const ResolvedSchema = z.object({ conflict: ConflictSchema, customer: CustomerSchema })
  .openapi("ConflictResolved");

export const DeadLetterSchema = z.object({
  jobId: z.string(),
  customerId: z.string(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  deadLetteredAt: timestamp,
}).openapi("CustomerExportDeadLetter");

export const DeadLetterPageSchema = z.object({
  items: z.array(DeadLetterSchema),
  nextCursor: z.string().nullable(),
}).openapi("CustomerExportDeadLetterPage");

export const RequeuedSchema = z.object({
  customerId: z.string(),
  jobId: z.string().nullable().openapi({
    description: "The new export job; null when one was already waiting for the customer.",
  }),
}).openapi("CustomerExportRequeued");

const counts = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  conflicts: z.number().int(),
  skipped: z.number().int(),
});

export const ImportRunSchema = z.object({
  id: z.number().int(),
  label: z.string(),
  status: z.enum(["queued", "running", "success", "failed"]),
  progress: z.string().nullable(),
  fileSize: z.number().int().nullable(),
  bytesRead: z.number().int(),
  counts,
  errors: z.array(z.string()).openapi({ description: "Why counterparties were skipped." }),
  error: z.string().nullable(),
  requestId: z.string().nullable(),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  durationSeconds: z.number().nullable(),
}).openapi("CustomerImportRun");

export const SyncStatsSchema = z.object({
  since: timestamp.openapi({ description: "Start of today in CUSTOMER_SYNC_TIMEZONE." }),
  exportedToday: z.number().int(),
  failedAttemptsToday: z.number().int(),
  successRate: z.number().nullable().openapi({ description: "0…1; null without attempts." }),
  pending: z.number().int(),
  deadLettered: z.number().int(),
  errors: z.number().int(),
  openConflicts: z.number().int(),
  averageSecondsToSynced: z.number().nullable().openapi({
    description: "Mean seconds from registration to 1C's confirmation, registrations of the " +
      "last 30 days.",
  }),
}).openapi("CustomerSyncStats");

export const SyncLogSchema = z.object({
  items: z.array(z.object({
    id: z.number().int(),
    operation: z.enum(["import_from_1c", "export_to_1c", "sync_changes"]),
    status: z.enum(["success", "error", "skipped"]),
    details: z.record(z.string(), z.unknown()),
    errorMessage: z.string().nullable(),
    createdAt: timestamp,
  })),
  nextCursor: z.string().nullable(),
}).openapi("CustomerSyncLog");

/** What 1C's HTTP service receives (documentation of the outbound contract). */
export const OnecCustomerBodySchema = z.object({
  platform_id: z.string().openapi({
    format: "uuid",
    description: "The platform's id. 1C keeps it with the counterparty and treats it as the " +
      "idempotency key: a POST for a platform_id it already has answers 409 with its Ид.",
  }),
  email: z.string().nullable(),
  phone: z.string().nullable().openapi({ description: "E.164 when it could be normalised." }),
  customer_type: z.enum(["individual", "legal_entity"]),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  company_name: z.string().nullable(),
  tax_id: z.string().nullable().openapi({ description: "ИНН." }),
  kpp: z.string().nullable().openapi({ description: "КПП." }),
  contact_person: z.string().nullable(),
  role: z.string().nullable().openapi({ description: "Price group." }),
}).openapi("OnecCustomerRequest", {
  description: "Body of POST {ONEC_HTTP_URL}/customers and PUT {ONEC_HTTP_URL}/customers/{Ид}.",
});

export const OnecCustomerReplySchema = z.object({
  id: z.string().openapi({ description: "The counterparty's Ид in 1C." }),
}).openapi("OnecCustomerReply", {
  description: "1C's answer to POST/PUT: 200 or 201 with the Ид; 409 with the Ид it already has.",
});
