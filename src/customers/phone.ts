/**
 * Phone numbers to E.164 (`+79123456789`), the form identity resolution compares: 1C and the
 * platform write the same number as "8 (912) 345-67-89", "+7 912 345 67 89" or "9123456789".
 */

/** An extension written after the number ("доб. 123", "ext 5", "#12") is not part of it. */
const EXTENSION = /\s*(?:доб\.?|добавочный|ext\.?|extension|x|#)\s*\d+\s*$/iu;

/**
 * E.164 for `raw`, or null when it cannot be a phone number (fewer than 8 or more than 15
 * digits, as E.164 allows). `countryCode` applies to numbers written without one.
 */
export function toE164(raw: string | null | undefined, countryCode: string): string | null {
  if (!raw) return null;
  const text = raw.trim().replace(EXTENSION, "");
  let digits = text.replace(/\D/g, "");
  if (digits.length === 0) return null;
  if (text.startsWith("+")) return valid(digits);
  if (digits.startsWith("00")) return valid(digits.slice(2)); // international call prefix
  if (countryCode === "7") {
    // Russia and Kazakhstan: a trunk "8" (or a "7" without the plus) before 10 digits.
    if (digits.length === 11 && (digits[0] === "8" || digits[0] === "7")) {
      return valid(`7${digits.slice(1)}`);
    }
    if (digits.length === 10) return valid(`7${digits}`);
    return valid(digits.length > 11 ? digits : `7${digits}`);
  }
  if (digits.startsWith(countryCode) && digits.length > 10) return valid(digits);
  // Most other numbering plans dial a trunk "0" before the national number.
  if (digits[0] === "0") digits = digits.slice(1);
  return valid(`${countryCode}${digits}`);
}

function valid(digits: string): string | null {
  return digits.length >= 8 && digits.length <= 15 && digits[0] !== "0" ? `+${digits}` : null;
}
