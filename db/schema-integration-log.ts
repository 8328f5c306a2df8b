/** Tables of the integration log capability (migration 00x-integration-log). Placeholder until it lands. */
// deno-lint-ignore no-empty-interface
export interface IntegrationLogTables {}
