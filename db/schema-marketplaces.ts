/** Kysely types of the marketplaces tables (mirrors db/migrations/*-marketplaces.ts). */
// deno-lint-ignore no-empty-interface
export interface MarketplacesTables {}
