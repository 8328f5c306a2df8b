/**
 * Exact decimal arithmetic for money and quantities. The API takes JSON numbers; totals are
 * computed on scaled integers (never on floats) and leave as the numeric strings Postgres keeps.
 */

/** Largest integer part accepted: numeric(18, n) leaves 18 - n digits before the point. */
const MAX_INTEGER_DIGITS = 15;

/**
 * `value` × 10^scale as an exact integer, or null when it has more decimals than `scale`,
 * is not finite, or is too large. 0.1 + 0.2 style artefacts cannot arise: the JSON number's
 * shortest decimal form is what the client wrote.
 */
export function toScaled(value: number, scale: number): bigint | null {
  if (!Number.isFinite(value)) return null;
  const text = String(Math.abs(value));
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  // Exponent forms (1e-7, 1e21) are out of range either way.
  if (!m) return null;
  const [, int, frac = ""] = m;
  if (frac.length > scale || int.replace(/^0+/, "").length > MAX_INTEGER_DIGITS) return null;
  const scaled = BigInt(int + frac.padEnd(scale, "0"));
  return value < 0 ? -scaled : scaled;
}

/** A numeric string from Postgres ("1490.50") × 10^scale; extra decimals are cut. */
export function fromNumeric(text: string, scale: number): bigint {
  const negative = text.startsWith("-");
  const [int, frac = ""] = (negative ? text.slice(1) : text).split(".");
  const scaled = BigInt(int + frac.slice(0, scale).padEnd(scale, "0"));
  return negative ? -scaled : scaled;
}

/** Exact decimal text of a scaled integer: formatScaled(149050n, 2) === "1490.50". */
export function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const text = scale === 0
    ? digits
    : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/**
 * A line's amount in cents: price (cents) × quantity (thousandths), rounded half up to the
 * cent, as 1C rounds a Сумма.
 */
export function lineAmountCents(priceCents: bigint, quantityMilli: bigint): bigint {
  return (priceCents * quantityMilli + 500n) / 1000n;
}

/** A numeric string from Postgres as a JSON number for the API. */
export function toNumber(value: string | null): number | null {
  return value === null ? null : Number(value);
}
