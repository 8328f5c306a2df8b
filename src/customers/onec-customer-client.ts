/**
 * The HTTP service 1C publishes for the platform's customers (the outbound contract, also in
 * the README and in the OpenAPI description of POST /api/v1/customers):
 *
 *   POST {ONEC_HTTP_URL}/customers            create; body below
 *   PUT  {ONEC_HTTP_URL}/customers/{onecId}   update the counterparty with that Ид
 *   Authorization: Basic ONEC_HTTP_LOGIN:ONEC_HTTP_PASSWORD (UTF-8)
 *   body: {"platform_id", "email", "phone", "customer_type", "first_name", "last_name",
 *          "company_name", "tax_id", "kpp", "contact_person", "role"}  (snake_case JSON)
 *   200/201 {"id": "<1C Ид>"}  → linked and synced
 *   409     {"id": "<1C Ид>"}  → 1C already has it (platform_id is its idempotency key): linked
 *   other 4xx                  → rejected for good: syncStatus=error with the message
 *   5xx, no answer in ONEC_HTTP_TIMEOUT_SECONDS, network error → retried with backoff
 *
 *   GET {ONEC_HTTP_URL}/counterparties        (optional) the counterparty directory as a
 *   CommerceML document (КоммерческаяИнформация/Контрагенты): the full import of
 *   `deno task sync-customers --direction import`.
 */
import { errorText } from "../error-text.ts";
import * as v from "valibot";
import { Buffer } from "node:buffer";
import type { CustomersConfig } from "./config.ts";

/** The JSON body 1C receives, snake_case as the contract names it. */
export interface OnecCustomerBody {
  platform_id: string;
  email: string | null;
  phone: string | null;
  customer_type: "individual" | "legal_entity";
  first_name: string | null;
  last_name: string | null;
  company_name: string | null;
  tax_id: string | null;
  kpp: string | null;
  contact_person: string | null;
  role: string | null;
}

export type ExportAnswer =
  /** 1C holds the customer under `onecId` (created, updated, or it already had it: 409). */
  | { kind: "linked"; onecId: string; status: number }
  /** A 4xx other than 409/408/429, or an answer that breaks the contract: retrying cannot help. */
  | { kind: "rejected"; status: number; message: string }
  /** 5xx, 408, 429, a timeout or a network error: worth another attempt later. */
  | { kind: "retry"; status: number | null; message: string };

const IdReply = v.object({ id: v.pipe(v.string(), v.trim(), v.minLength(1)) });
const ErrorReply = v.object({
  error: v.optional(v.unknown()),
  message: v.optional(v.unknown()),
  detail: v.optional(v.unknown()),
});

/** Longest part of 1C's answer kept in a message. */
const MESSAGE_CHARS = 500;

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

type Connection = Pick<
  CustomersConfig,
  "onecHttpUrl" | "onecHttpLogin" | "onecHttpPassword" | "onecHttpTimeoutSeconds"
>;

export function authorization(c: Connection): string | null {
  if (c.onecHttpLogin === null || c.onecHttpPassword === null) return null;
  // RFC 7617 with charset UTF-8: 1C logins are often Cyrillic, which btoa cannot encode.
  const pair = Buffer.from(`${c.onecHttpLogin}:${c.onecHttpPassword}`, "utf8").toString("base64");
  return `Basic ${pair}`;
}

/** Sends one customer: POST when 1C does not know it yet, PUT to its Ид otherwise. */
export async function sendCustomer(
  c: Connection,
  body: OnecCustomerBody,
  onecId: string | null,
  fetchFn: FetchLike = fetch,
  /** The worker's: a shutdown ends the request, and the job is retried elsewhere. */
  stop?: AbortSignal,
): Promise<ExportAnswer> {
  if (c.onecHttpUrl === null) {
    return { kind: "retry", status: null, message: "ONEC_HTTP_URL is not set" };
  }
  const url = onecId === null
    ? `${c.onecHttpUrl}/customers`
    : `${c.onecHttpUrl}/customers/${encodeURIComponent(onecId)}`;
  const headers: Record<string, string> = {
    "Content-Type": "application/json; charset=utf-8",
    Accept: "application/json",
  };
  const auth = authorization(c);
  if (auth !== null) headers.Authorization = auth;
  const seconds = c.onecHttpTimeoutSeconds;
  let res: Response;
  let text: string;
  try {
    const timeout = AbortSignal.timeout(seconds * 1000);
    const signal = stop ? AbortSignal.any([timeout, stop]) : timeout;
    res = await fetchFn(url, {
      method: onecId === null ? "POST" : "PUT",
      headers,
      body: JSON.stringify(body),
      // A redirect would turn the POST into a GET; a moved service is a configuration error.
      redirect: "manual",
      signal,
    });
    text = await res.text();
  } catch (e) {
    if (stop?.aborted) return { kind: "retry", status: null, message: "the worker stopped" };
    if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
      return { kind: "retry", status: null, message: `1C did not answer within ${seconds} s` };
    }
    return {
      kind: "retry",
      status: null,
      message: `could not reach 1C: ${errorText(e)}`,
    };
  }
  const status = res.status;
  if (status === 200 || status === 201 || status === 204 || status === 409) {
    const id = parseId(text);
    if (id !== null) return { kind: "linked", onecId: id, status };
    // An update may answer without repeating the Ид it was sent to.
    if (onecId !== null && status !== 409) return { kind: "linked", onecId, status };
    return {
      kind: "rejected",
      status,
      message: `1C answered ${status} without {"id": "<Ид>"}: ${excerpt(text) || "empty body"}`,
    };
  }
  if (status >= 500 || status === 408 || status === 429) {
    return { kind: "retry", status, message: `1C answered ${status}: ${reason(text)}` };
  }
  if (status >= 300 && status < 400) {
    const to = res.headers.get("location") ?? "?";
    return {
      kind: "rejected",
      status,
      message: `1C answered ${status} redirecting to ${to}: check ONEC_HTTP_URL`,
    };
  }
  return {
    kind: "rejected",
    status,
    message: `1C rejected the customer (${status}): ${reason(text)}`,
  };
}

/**
 * Opens `GET {ONEC_HTTP_URL}/counterparties` and returns its body as a byte stream. The timeout
 * covers the wait for the answer to start, not the whole directory.
 */
export async function openCounterpartyDirectory(
  c: Connection,
  fetchFn: FetchLike = fetch,
): Promise<AsyncIterable<Uint8Array>> {
  if (c.onecHttpUrl === null) throw new Error("ONEC_HTTP_URL is not set");
  const headers: Record<string, string> = { Accept: "application/xml, text/xml" };
  const auth = authorization(c);
  if (auth !== null) headers.Authorization = auth;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), c.onecHttpTimeoutSeconds * 1000);
  let res: Response;
  try {
    res = await fetchFn(`${c.onecHttpUrl}/counterparties`, {
      method: "GET",
      headers,
      redirect: "manual",
      signal: abort.signal,
    });
  } catch (e) {
    throw new Error(
      abort.signal.aborted
        ? `1C did not answer within ${c.onecHttpTimeoutSeconds} s`
        : `could not reach 1C: ${errorText(e)}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (res.status !== 200 || res.body === null) {
    const text = await res.text().catch(() => "");
    throw new Error(`GET /counterparties: 1C answered ${res.status}: ${reason(text)}`);
  }
  return res.body;
}

function parseId(text: string): string | null {
  try {
    const parsed = v.safeParse(IdReply, JSON.parse(text));
    return parsed.success ? parsed.output.id : null;
  } catch {
    return null;
  }
}

/** The error 1C gave: a JSON `error`/`message`/`detail` string, or the start of the text. */
function reason(text: string): string {
  try {
    const parsed = v.safeParse(ErrorReply, JSON.parse(text));
    if (parsed.success) {
      for (const value of [parsed.output.error, parsed.output.message, parsed.output.detail]) {
        if (typeof value === "string" && value.trim() !== "") return excerpt(value);
      }
    }
  } catch {
    // not JSON: the text itself
  }
  return excerpt(text) || "empty body";
}

function excerpt(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return t.length > MESSAGE_CHARS ? `${t.slice(0, MESSAGE_CHARS)}…` : t;
}
