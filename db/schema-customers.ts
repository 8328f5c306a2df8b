/** Kysely types of the customers tables (mirrors db/migrations/*-customers.ts). */
// deno-lint-ignore no-empty-interface
export interface CustomersTables {}
