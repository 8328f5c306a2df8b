/** Tables of the platform pricing capability (migration 00x-platform-pricing). Placeholder until it lands. */
// deno-lint-ignore no-empty-interface
export interface PlatformPricingTables {}
