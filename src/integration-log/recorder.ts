/**
 * Writes one integration log row. "Writes must never break the call they record": a failed
 * insert is logged and swallowed, so the returned promise always resolves. A row is one
 * INSERT; masking and truncation happen here, on every row whoever built it, so no caller
 * can store a body whole or a credential by mistake.
 */
import type { AppContext } from "../context.ts";
import type {
  IntegrationDirection,
  IntegrationKind,
  IntegrationStatus,
} from "../../db/schema-integration-log.ts";
import { maskText, maskUrl } from "./mask.ts";
import { type BodyHead, clipBody } from "./truncate.ts";

export interface IntegrationEntry {
  /** When the request started. */
  at: Date;
  kind: IntegrationKind;
  direction: IntegrationDirection;
  method: string;
  url: string;
  exchangeType?: string | null;
  mode?: string | null;
  file?: string | null;
  status: IntegrationStatus;
  httpStatus?: number | null;
  durationMs: number;
  requestId?: string | null;
  ref?: string | null;
  clientIp?: string | null;
  requestBytes?: number | null;
  /** Masked and cut here. */
  requestBody?: string | BodyHead | null;
  /** Masked and cut here. */
  responseBody?: string | BodyHead | null;
  error?: string | null;
}

export type Recorder = Pick<AppContext, "db" | "log" | "config">;

/** Every credential the service is configured with: scrubbed from whatever a row holds. */
export function configuredSecrets(config: AppContext["config"]): string[] {
  const m = config.marketplaces;
  return [
    config.exchange.password,
    ...config.apiTokens.map((t) => t.token),
    config.customers.onecHttpPassword ?? "",
    m.ozon?.apiKey ?? "",
    m.wildberries?.token ?? "",
  ].filter((s) => s !== "");
}

/** Longest error message kept. */
const ERROR_LIMIT = 1000;

export async function recordIntegration(ctx: Recorder, e: IntegrationEntry): Promise<void> {
  try {
    const secrets = configuredSecrets(ctx.config);
    const body = (b: string | BodyHead | null | undefined): string | null => {
      if (b === null || b === undefined) return null;
      if (typeof b === "string") return clipBody(maskText(b, secrets));
      return clipBody({ ...b, text: maskText(b.text, secrets) });
    };
    await ctx.db.insertInto("integration_log").values({
      at: e.at,
      kind: e.kind,
      direction: e.direction,
      method: e.method,
      url: maskUrl(e.url, secrets),
      exchange_type: e.exchangeType ?? null,
      mode: e.mode ?? null,
      file: e.file ?? null,
      status: e.status,
      http_status: e.httpStatus ?? null,
      duration_ms: Math.max(0, Math.round(e.durationMs)),
      request_id: e.requestId ?? null,
      ref: e.ref ?? null,
      client_ip: e.clientIp ?? null,
      request_bytes: e.requestBytes ?? null,
      request_body: body(e.requestBody),
      response_body: body(e.responseBody),
      error: e.error ? clipBody(maskText(e.error, secrets), ERROR_LIMIT) : null,
    }).execute();
  } catch (err) {
    ctx.log.warn(
      { err: (err as Error).message, kind: e.kind, method: e.method },
      "integration log: the row could not be written",
    );
  }
}
