/**
 * JSON parsing that keeps int64 ids exact. Ozon's warehouse ids "run to about 1e15" and its
 * spec says "Parse ids as bigint or string"; a plain JSON.parse would silently round any id
 * beyond 2^53. Integers that do not fit a double exactly come back as their decimal string
 * (the reviver's `source` is the number's text as sent).
 */

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

const keepBigIntegers: Reviver = (_key, value, context) => {
  if (
    typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) &&
    context?.source !== undefined && /^-?\d+$/.test(context.source)
  ) {
    return context.source;
  }
  return value;
};

export function parseExactJson(text: string): unknown {
  return JSON.parse(text, keepBigIntegers as (key: string, value: unknown) => unknown);
}
