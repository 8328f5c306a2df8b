/**
 * Zod schemas of the orders API: they validate requests and are the OpenAPI document.
 * Types only (JSON shape) are checked here; what needs the catalog or arithmetic (offers
 * exist, quantities positive, amounts with at most 2 decimals) is checked by
 * src/orders/order-store.ts and answered with one 422 listing every issue.
 */
import { z } from "@hono/zod-openapi";

const text = (max: number) => z.string().max(max);

export const BuyerSchema = z.object({
  email: text(320).optional(),
  phone: text(64).optional(),
  firstName: text(200).optional(),
  lastName: text(200).optional(),
  companyName: text(500).optional(),
  taxId: text(32).optional().openapi({ description: "ИНН." }),
}).strict().openapi("OrderBuyer", {
  description: "The buyer's data, kept on the order: 1C creates its counterparty from it.",
});

export const ItemInputSchema = z.object({
  offerId: z.string().min(1).max(300).openapi({
    description: "The offer's 1C Ид (`product` or `product#characteristic`).",
    example: "bd72d913-55bc-11d9-848a-00112f43529a#b02e2814-720f-11df-b436-0015e92f2802",
  }),
  quantity: z.number().openapi({ description: "Positive; up to 3 decimals.", example: 2 }),
  price: z.number().openapi({ description: "Unit price; up to 2 decimals.", example: 1490.5 }),
}).strict().openapi("OrderItemInput");

export const DeliveryInputSchema = z.object({
  method: text(500).optional(),
  address: text(2000).optional(),
  price: z.number().optional().openapi({ description: "Up to 2 decimals.", example: 300 }),
}).strict().openapi("OrderDeliveryInput");

export const CreateOrderSchema = z.object({
  customerId: z.string().min(1).max(200).optional().openapi({
    description: "The platform's customer id. Give it, `customer`, or both.",
  }),
  customer: BuyerSchema.optional(),
  items: z.array(ItemInputSchema).max(1000),
  currency: z.string().min(1).max(10).openapi({ example: "RUB" }),
  delivery: DeliveryInputSchema.optional(),
  paymentMethod: text(500).optional(),
  comment: text(10_000).optional(),
}).strict().openapi("OrderCreate");

export const UpdateOrderSchema = z.object({
  customer: BuyerSchema.optional().openapi({
    description: "Replaces the buyer's data as a whole (fields left out become empty).",
  }),
  items: z.array(ItemInputSchema).max(1000).optional(),
  delivery: DeliveryInputSchema.nullable().optional(),
  paymentMethod: text(500).nullable().optional(),
  comment: text(10_000).nullable().optional(),
  paid: z.boolean().optional().openapi({
    description: "Paid on the platform (e.g. online); sent to 1C as «Заказ оплачен».",
  }),
  cancelled: z.boolean().optional().openapi({
    description: "Cancelled on the platform; sent to 1C as «Отменен».",
  }),
}).strict().openapi("OrderUpdate");

export const OrderStatusSchema = z.enum(["new", "accepted", "paid", "shipped", "cancelled"])
  .openapi("OrderStatus", {
    description: "new: not yet processed by 1C; accepted: 1C holds it (number or posted); " +
      "paid, shipped, cancelled: as 1C (or the platform) reported.",
  });

const nullableText = z.string().nullable();
const timestamp = z.string().openapi({ format: "date-time" });

export const OrderSchema = z.object({
  id: z.string().openapi({ example: "36" }),
  number: z.string().openapi({ description: "Номер as 1C sees it.", example: "36" }),
  status: OrderStatusSchema,
  currency: z.string(),
  customerId: nullableText,
  customerOnecId: nullableText.openapi({ description: "1C's Ид of the buyer, once known." }),
  customer: z.object({
    email: nullableText,
    phone: nullableText,
    firstName: nullableText,
    lastName: nullableText,
    companyName: nullableText,
    taxId: nullableText,
  }),
  items: z.array(
    z.object({
      lineNo: z.number().int(),
      offerId: z.string(),
      productId: z.string(),
      name: z.string(),
      sku: nullableText,
      unit: nullableText,
      quantity: z.number(),
      price: z.number(),
      amount: z.number().openapi({ description: "price × quantity, rounded to the cent." }),
    }).openapi("OrderLine"),
  ),
  delivery: z.object({
    method: nullableText,
    address: nullableText,
    price: z.number().nullable(),
  }).nullable(),
  paymentMethod: nullableText,
  comment: nullableText,
  itemsTotal: z.number(),
  total: z.number().openapi({ description: "itemsTotal + delivery price." }),
  version: z.number().int().openapi({
    description: "Bumped by every change on the platform; 1C gets every version.",
  }),
  onecNumber: nullableText.openapi({ description: "«Номер по 1С»." }),
  onecDate: nullableText.openapi({ description: "«Дата по 1С», 1C's wall-clock time." }),
  onecStatus: nullableText.openapi({ description: "«Статус заказа» as 1C wrote it." }),
  posted: z.boolean().nullable().openapi({ description: "«Проведен»." }),
  paid: z.boolean(),
  paidAt: nullableText,
  shipped: z.boolean(),
  shippedAt: nullableText,
  cancelled: z.boolean(),
  deliveryAllowed: z.boolean(),
  exportedAt: timestamp.nullable().openapi({
    description: "When 1C last confirmed receiving the order (mode=success).",
  }),
  exportedVersion: z.number().int().nullable(),
  statusChangedAt: timestamp,
  createdAt: timestamp,
  updatedAt: timestamp.openapi({
    description: "Latest change on either side; feed the largest seen back as updatedSince.",
  }),
}).openapi("Order");

export const OrderPageSchema = z.object({
  items: z.array(OrderSchema),
  nextCursor: z.string().nullable(),
}).openapi("OrderPage");

export const OrderImportRunSchema = z.object({
  id: z.string(),
  sessionId: nullableText,
  fileName: z.string(),
  fileSize: z.number().int().nullable(),
  status: z.enum(["success", "failed"]),
  documents: z.number().int(),
  applied: z.number().int(),
  unchanged: z.number().int(),
  unknown: z.number().int(),
  skipped: z.number().int(),
  unknownDocuments: z.array(z.object({ number: nullableText, id: nullableText })).openapi({
    description: "Documents naming no order of ours (up to 50).",
  }),
  notes: z.array(z.string()).openapi({
    description: "Remarks, e.g. sections of the file that are not order documents.",
  }),
  error: nullableText,
  createdAt: timestamp,
  finishedAt: timestamp.nullable(),
}).openapi("OrderImportRun");

export const OrderImportPageSchema = z.object({
  items: z.array(OrderImportRunSchema),
  nextCursor: z.string().nullable(),
}).openapi("OrderImportPage");
