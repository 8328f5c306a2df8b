/** Environment variables of the orders capability, validated with valibot at start. */
// deno-lint-ignore no-empty-interface
export interface OrdersConfig {}

/** Throws ConfigError (src/config.ts) naming the variable when a value is bad. */
export function parseOrdersConfig(
  _env: Record<string, string>,
  _production: boolean,
): OrdersConfig {
  return {};
}
