/**
 * Outbound calls (1C's HTTP service, Ozon, Wildberries) are recorded at the one point they all
 * pass: the fetch function. A client is handed `recordingFetch(record)` instead of `fetch`
 * where it is built; it sees the same Response (the log reads the start of a clone) and the
 * same errors. One row per attempt: a retried call is several rows.
 *
 * Recorded: method, URL, HTTP status, duration (until the answer's first BODY_LIMIT bytes were
 * read), the request's JSON/text body and the start of the answer, or the error when there was
 * no answer (timeout, reset, refused). Request headers are never recorded.
 */
import { errorText } from "../error-text.ts";
import type { AppContext } from "../context.ts";
import type { IntegrationKind } from "../../db/schema-integration-log.ts";
import { type IntegrationEntry, recordIntegration } from "./recorder.ts";
import { type BodyHead, readBodyHead } from "./truncate.ts";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The part of a row a call fills in; the recorder adds who and why. */
export type OutboundCall =
  & Pick<
    IntegrationEntry,
    "at" | "method" | "url" | "status" | "httpStatus" | "durationMs" | "requestBytes" | "error"
  >
  & { requestBody: string | null; responseBody: BodyHead | null };

/** Records one outbound call; never rejects. */
export type OutboundRecorder = (call: OutboundCall) => Promise<void>;

/**
 * The recorder for calls of one kind made on behalf of something: `requestId` (the request
 * that caused them, when there is one) and `ref` (what they are for).
 */
export function outboundRecorder(
  ctx: Pick<AppContext, "db" | "log" | "config">,
  kind: Exclude<IntegrationKind, "exchange">,
  about: { requestId?: string | null; ref?: string | null } = {},
): OutboundRecorder {
  return (call) =>
    recordIntegration(ctx, {
      ...call,
      kind,
      direction: "outbound",
      requestId: about.requestId ?? null,
      ref: about.ref ?? null,
    });
}

const byDefault: FetchLike = (input, init) => fetch(input, init);

export function recordingFetch(record: OutboundRecorder, inner: FetchLike = byDefault): FetchLike {
  return async (input, init) => {
    const at = new Date();
    const started = performance.now();
    const method = (init.method ?? "GET").toUpperCase();
    const { text: requestBody, bytes: requestBytes } = describeBody(init.body);
    const base = { at, method, url: input, requestBody, requestBytes };
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (err) {
      await record({
        ...base,
        status: "error",
        httpStatus: null,
        durationMs: performance.now() - started,
        responseBody: null,
        error: describeError(err),
      });
      throw err;
    }
    let head: BodyHead | null = null;
    let bodyError: string | null = null;
    try {
      head = await readBodyHead(res);
    } catch (err) {
      // The answer started and then stalled or broke: the caller's read fails the same way.
      bodyError = `the answer's body failed: ${describeError(err)}`;
    }
    await record({
      ...base,
      status: bodyError !== null ? "error" : res.ok ? "success" : "failure",
      httpStatus: res.status,
      durationMs: performance.now() - started,
      responseBody: head,
      error: bodyError,
    });
    return res;
  };
}

/** What a request body can be shown as: text as it is, anything else by its size only. */
function describeBody(
  body: RequestInit["body"],
): { text: string | null; bytes: number | null } {
  if (body === null || body === undefined) return { text: null, bytes: null };
  if (typeof body === "string") {
    return { text: body, bytes: new TextEncoder().encode(body).length };
  }
  if (body instanceof URLSearchParams) {
    const text = body.toString();
    return { text, bytes: text.length };
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    return { text: null, bytes: body.byteLength };
  }
  if (body instanceof Blob) return { text: null, bytes: body.size };
  return { text: null, bytes: null };
}

function describeError(err: unknown): string {
  if (err instanceof DOMException) {
    if (err.name === "TimeoutError") return "timeout: no answer within the time limit";
    if (err.name === "AbortError") return "aborted before the answer";
  }
  // With the cause: fetch's own message is only "fetch failed".
  if (err instanceof Error) return err.message ? `${err.name}: ${errorText(err)}` : err.name;
  return String(err);
}
