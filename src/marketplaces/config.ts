/** Environment variables of the marketplaces capability, validated with valibot at start. */
// deno-lint-ignore no-empty-interface
export interface MarketplacesConfig {}

/** Throws ConfigError (src/config.ts) naming the variable when a value is bad. */
export function parseMarketplacesConfig(
  _env: Record<string, string>,
  _production: boolean,
): MarketplacesConfig {
  return {};
}
