/**
 * The integration log's row for one request of 1C's exchange (routes/exchange.ts wraps every
 * mode of both `type=catalog` and `type=sale` with it): type, mode, file name, the answer's
 * first BODY_LIMIT bytes, duration, request id, client address.
 *
 * Never recorded: the request body (a `mode=file` upload is recorded by its size only), the
 * Authorization header and the session's cookie or `sessid` (in the URL or in checkauth's
 * answer). The row is written without awaiting it: 1C's answer does not wait for the log.
 */
import type { Context } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import type { IntegrationStatus } from "../../db/schema-integration-log.ts";
import { SESSION_COOKIE } from "../exchange/sessions.ts";
import { clientIp } from "../http/client-ip.ts";
import { maskExchangeAnswer } from "./mask.ts";
import { recordIntegration } from "./recorder.ts";
import { type BodyHead, readBodyHead } from "./truncate.ts";

export interface ExchangeLogEntry {
  /** Reads the start of the answer for the row; returns its first line (1C's verdict). */
  answer(res: Response): Promise<string>;
  /** The request ended in an exception (answered `failure` by the handler). */
  error(err: unknown): void;
  /** Writes the row in the background; never throws, never rejects. */
  write(params: Record<string, string>): void;
}

/** Starts the row of one exchange request; call at the very start of the handler. */
export function exchangeLogEntry(
  ctx: Pick<AppContext, "db" | "log" | "config">,
  c: Context<AppEnv>,
): ExchangeLogEntry {
  const at = new Date();
  const started = performance.now();
  let head: BodyHead | null = null;
  let httpStatus: number | null = null;
  let error: string | null = null;
  return {
    async answer(res) {
      httpStatus = res.status;
      head = await readBodyHead(res);
      return head.text.split("\n", 1)[0];
    },
    error(err) {
      error = err instanceof Error ? err.message : String(err);
    },
    write(params) {
      const length = Number(c.req.header("content-length"));
      const answer = head as BodyHead | null;
      void recordIntegration(ctx, {
        at,
        kind: "exchange",
        direction: "inbound",
        method: c.req.method,
        url: c.req.url,
        exchangeType: params.type ?? null,
        mode: params.mode ?? null,
        file: params.filename ?? null,
        status: error !== null ? "error" : answerStatus(answer?.text ?? ""),
        httpStatus,
        durationMs: performance.now() - started,
        requestId: c.var.requestId ?? null,
        clientIp: clientIp(c),
        requestBytes: Number.isFinite(length) && length > 0 ? length : null,
        requestBody: null,
        responseBody: answer === null
          ? null
          : { ...answer, text: maskExchangeAnswer(answer.text, SESSION_COOKIE) },
        error,
      });
    },
  };
}

/**
 * 1C reads only the first line: `success`, `progress` (ask again) or `failure`. `init` answers
 * `zip=…` and `mode=query` a CommerceML document: both are successful answers.
 */
export function answerStatus(text: string): IntegrationStatus {
  const first = text.split("\n", 1)[0].trim();
  if (first === "progress") return "progress";
  if (first === "failure" || first === "") return "failure";
  return "success";
}
