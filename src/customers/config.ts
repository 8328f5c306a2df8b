/** Environment variables of the customers capability, validated with valibot at start. */
// deno-lint-ignore no-empty-interface
export interface CustomersConfig {}

/** Throws ConfigError (src/config.ts) naming the variable when a value is bad. */
export function parseCustomersConfig(
  _env: Record<string, string>,
  _production: boolean,
): CustomersConfig {
  return {};
}
