/**
 * `type=sale` modes after checkauth (init, query, success, file, import, info).
 * checkauth and the session lookup are shared with the catalog exchange (routes/exchange.ts).
 */
import type { Context } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import type { ExchangeSession } from "../exchange/sessions.ts";

export interface SaleReply {
  /** Plain protocol lines (success/progress/failure…), sent as text/plain like every answer. */
  lines?: string[];
  /** A full response (e.g. the mode=query XML document). */
  response?: Response;
}

export function handleSaleMode(
  _ctx: AppContext,
  _c: Context<AppEnv>,
  _session: ExchangeSession,
  params: Record<string, string>,
): Promise<SaleReply> {
  return Promise.resolve({
    lines: ["failure", `type=sale mode=${params.mode} is not supported yet`],
  });
}
