/**
 * The one way this capability talks to Ozon and Wildberries: JSON over fetch with pacing,
 * timeouts, retries and rate-limit waits, and errors that never carry a credential.
 *
 * - 5xx, timeouts and network errors: retried with exponential backoff, 3 attempts in all.
 * - 429: waits as long as the marketplace says — Ozon "429 also carries `Retry-After`
 *   (seconds)"; WB "A 429 adds `X-Ratelimit-Retry`, the seconds to wait before retrying, and
 *   `X-Ratelimit-Reset` … `Retry-After` is not sent" — then tries again.
 * - 401/403: never retried; the run fails with "check the API key".
 */
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { parseExactJson } from "./exact-json.ts";
import { MarketplaceApiError, MarketplaceAuthError } from "./errors.ts";
import type { Pace, Pacer } from "./pacer.ts";
import {
  type FetchLike,
  type OutboundRecorder,
  recordingFetch,
} from "../integration-log/recording-fetch.ts";

export interface HttpSettings {
  timeoutMs: number;
  retryBaseMs: number;
}

export interface CallSpec {
  method: "GET" | "POST" | "PUT";
  url: string;
  body?: unknown;
  /** Every bucket the call counts against (a method's own limit and the global one). */
  pace: Pace[];
  /** Non-2xx statuses handed back to the caller instead of thrown (WB's 409 arrays). */
  accept?: number[];
}

export interface CallResult {
  status: number;
  /** Parsed JSON (int64 ids exact), or null for an empty body (WB's 204). */
  body: unknown;
}

export interface MarketplaceHttpOptions {
  /** "Ozon" or "Wildberries", for messages. */
  label: string;
  headers: Record<string, string>;
  /** Values scrubbed from every message and log line (the API key, the token). */
  secrets: string[];
  /** What to tell the operator on 401/403. */
  authHint: string;
  settings: HttpSettings;
  pacer: Pacer;
  log: Logger;
  signal?: AbortSignal;
  /** Records every attempt in the integration log (issue 7). */
  record?: OutboundRecorder;
}

const ATTEMPTS = 3;
/** 429s in a row for one request before the run gives up. */
const MAX_RATE_LIMIT_WAITS = 8;
/** A longer ban than this is not worth holding a worker for: the next slot will try again. */
const MAX_RATE_LIMIT_WAIT_MS = 5 * 60_000;

export class MarketplaceHttp {
  readonly #fetch: FetchLike;

  constructor(readonly opts: MarketplaceHttpOptions) {
    this.#fetch = opts.record ? recordingFetch(opts.record) : (url, init) => fetch(url, init);
  }

  async call(spec: CallSpec): Promise<CallResult> {
    const { label, log } = this.opts;
    const path = new URL(spec.url).pathname;
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      this.opts.signal?.throwIfAborted();
      const waits = spec.pace.map((p) => this.opts.pacer.reserve(p));
      await sleep(Math.max(0, ...waits), this.opts.signal);
      const started = Date.now();
      let res: Response;
      let text: string | null;
      try {
        res = await this.#fetch(spec.url, {
          method: spec.method,
          headers: {
            ...this.opts.headers,
            ...(spec.body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          // Bounds the body too: a stalled stream aborts like a stalled connection.
          signal: this.#signal(),
        });
        text = res.status === 204 ? (await res.body?.cancel(), null) : await res.text();
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        const reason = err instanceof DOMException && err.name === "TimeoutError"
          ? `no answer within ${this.opts.settings.timeoutMs} ms`
          : this.#scrub(errorText(err));
        failures++;
        log.warn({ path, attempt: failures, reason }, `${label} request failed`);
        if (failures >= ATTEMPTS) {
          throw new MarketplaceApiError(
            `${label} ${path}: ${reason} (gave up after ${ATTEMPTS} attempts)`,
            null,
          );
        }
        await sleep(this.#backoff(failures), this.opts.signal);
        continue;
      }
      log.debug(
        { path, status: res.status, ms: Date.now() - started },
        `${label} request`,
      );

      if (res.ok || spec.accept?.includes(res.status)) {
        const body = text === null || text === "" ? null : this.#json(text, path);
        return { status: res.status, body };
      }
      const detail = this.#detail(text);
      if (res.status === 401 || res.status === 403) {
        throw new MarketplaceAuthError(
          `${label} refused the credentials (HTTP ${res.status}${detail ? `: ${detail}` : ""}) ` +
            `on ${path}; check the API key (${this.opts.authHint})`,
        );
      }
      if (res.status === 429) {
        rateLimited++;
        const waitMs = this.#rateLimitWait(res.headers, rateLimited);
        log.warn({ path, waitMs, times: rateLimited }, `${label} rate limit (429): waiting`);
        if (rateLimited > MAX_RATE_LIMIT_WAITS || waitMs > MAX_RATE_LIMIT_WAIT_MS) {
          const why = waitMs > MAX_RATE_LIMIT_WAIT_MS
            ? `rate limited (429) for ${Math.ceil(waitMs / 1000)} s, longer than a run waits`
            : `still rate limited (429) after ${rateLimited} waits`;
          throw new MarketplaceApiError(
            `${label} ${path}: ${why}${detail ? `: ${detail}` : ""}`,
            429,
          );
        }
        for (const p of spec.pace) this.opts.pacer.holdOff(p, waitMs);
        await sleep(waitMs, this.opts.signal);
        continue;
      }
      if (res.status >= 500) {
        failures++;
        log.warn({ path, status: res.status, attempt: failures }, `${label} server error`);
        if (failures >= ATTEMPTS) {
          throw new MarketplaceApiError(
            `${label} ${path}: HTTP ${res.status}${detail ? ` (${detail})` : ""} ` +
              `(gave up after ${ATTEMPTS} attempts)`,
            res.status,
          );
        }
        await sleep(this.#backoff(failures), this.opts.signal);
        continue;
      }
      throw new MarketplaceApiError(
        `${label} ${path}: HTTP ${res.status}${detail ? ` (${detail})` : ""}`,
        res.status,
      );
    }
  }

  #signal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.opts.settings.timeoutMs);
    return this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout;
  }

  /** Exponential with jitter: base, 2×base, … ± 25 %, so instances do not retry in step. */
  #backoff(failures: number): number {
    const base = this.opts.settings.retryBaseMs * 2 ** (failures - 1);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  #rateLimitWait(headers: Headers, times: number): number {
    const seconds = (name: string): number | null => {
      const raw = headers.get(name);
      if (raw === null) return null;
      const n = Number(raw);
      if (Number.isFinite(n) && n >= 0) return n;
      // Retry-After may also be an HTTP date.
      const at = Date.parse(raw);
      return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
    };
    const s = seconds("X-Ratelimit-Retry") ?? seconds("Retry-After") ??
      seconds("X-Ratelimit-Reset");
    // Without a hint, back off like a server error: never hammer a limiter.
    return s === null ? this.#backoff(times) : Math.ceil(s * 1000);
  }

  #json(text: string, path: string): unknown {
    try {
      return parseExactJson(text);
    } catch {
      throw new MarketplaceApiError(`${this.opts.label} ${path}: the answer is not JSON`, null);
    }
  }

  /** The marketplace's own words, from either error style, short and scrubbed. */
  #detail(text: string | null): string {
    if (!text) return "";
    let out = text;
    try {
      const body = JSON.parse(text);
      const first = Array.isArray(body) ? body[0] : body;
      if (first && typeof first === "object") {
        const parts = [first.code, first.title, first.detail ?? first.message]
          .filter((p) => typeof p === "string" && p !== "");
        if (parts.length) out = parts.join(": ");
      }
    } catch {
      // Not JSON: keep the text.
    }
    out = this.#scrub(out).replace(/\s+/g, " ").trim();
    return out.length > 300 ? `${out.slice(0, 300)}…` : out;
  }

  #scrub(s: string): string {
    let out = s;
    for (const secret of this.opts.secrets) {
      if (secret) out = out.replaceAll(secret, "[redacted]");
    }
    return out;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
