/**
 * Depth and width limits for JSON request bodies (issue 8: "Request body limits on every
 * route; JSON depth/size limits on the API"). The size is bounded before this runs (the API's
 * body limit, routes/api/index.ts); within that size a body can still be hostile in shape:
 * 1 MiB of `[[[[…` is 1M levels, and `[0,0,0,…]` is half a million values for the parser, the
 * validator and the handler to walk.
 *
 * The check is one iterative pass over the raw text, before anything parses it: no recursion
 * (an over-deep body cannot overflow a stack here), no allocation per value. Invalid JSON is
 * left to the parser that follows; the scan only has to be exact for valid JSON.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { problem } from "./problem.ts";

export interface JsonLimits {
  /** Nesting of arrays and objects; the top-level value is level 1. */
  maxDepth: number;
  /** Array items plus object members, over the whole body. */
  maxValues: number;
}

/**
 * 32 levels: the deepest API body (an order: order → items → item → fields) is 4. 100,000
 * values: an order with thousands of lines of a dozen fields is well under it.
 */
export const JSON_LIMITS: JsonLimits = { maxDepth: 32, maxValues: 100_000 };

export type JsonLimitExceeded =
  | { limit: "depth"; max: number; detail: string }
  | { limit: "values"; max: number; detail: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

function isJsonSpace(ch: number): boolean {
  return ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09;
}

/**
 * The first limit `text` exceeds, or null. Values are counted as a container's first item
 * (the first token after `[`/`{` that does not close it) plus one per comma outside strings.
 */
export function checkJsonLimits(
  text: string,
  limits: JsonLimits = JSON_LIMITS,
): JsonLimitExceeded | null {
  let depth = 0;
  let values = 0;
  // Just after an opening bracket: the next token, unless it closes, is the first item.
  let expectFirst = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (isJsonSpace(ch)) continue;
    if (ch === CLOSE_ARRAY || ch === CLOSE_OBJECT) {
      expectFirst = false;
      depth--;
      continue;
    }
    if (expectFirst || ch === COMMA) {
      expectFirst = false;
      if (++values > limits.maxValues) {
        return {
          limit: "values",
          max: limits.maxValues,
          detail: `The JSON body holds more than ${limits.maxValues} values (array items ` +
            `and object members); split the request.`,
        };
      }
    }
    if (ch === OPEN_ARRAY || ch === OPEN_OBJECT) {
      expectFirst = true;
      if (++depth > limits.maxDepth) {
        return {
          limit: "depth",
          max: limits.maxDepth,
          detail: `The JSON body is nested more than ${limits.maxDepth} levels deep.`,
        };
      }
    } else if (ch === QUOTE) {
      // Skip the string: brackets and commas inside it are text.
      for (i++; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) break;
      }
    }
  }
  return null;
}

/** application/json and the +json types (application/merge-patch+json, problem+json…). */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Refuses a JSON body over the limits with a 400 problem naming the limit. Reads the body
 * through Hono's request cache, so the validator that follows parses the same text without
 * reading the stream again. Bodies of other types pass untouched.
 */
export function jsonLimits(limits: JsonLimits = JSON_LIMITS): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.raw.body === null || !JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      return await next();
    }
    const exceeded = checkJsonLimits(await c.req.text(), limits);
    if (exceeded) {
      return problem(c, 400, exceeded.detail, {
        issues: [{ path: "body", message: `${exceeded.limit} limit: ${exceeded.max}` }],
      });
    }
    await next();
  };
}
