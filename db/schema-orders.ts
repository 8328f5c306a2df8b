/** Kysely types of the orders tables (mirrors db/migrations/*-orders.ts). */
// deno-lint-ignore no-empty-interface
export interface OrdersTables {}
