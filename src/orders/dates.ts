/**
 * Dates between us and 1C. CommerceML dates carry no zone: they are 1C's wall-clock time
 * (SALE_EXCHANGE_TIMEZONE). Formats seen in 1C's documents: `2021-02-17T22:51:37`,
 * `2021-02-18T9:49:02` (unpadded hour), `2015-08-12`, `2007-10-16 15:44:47`,
 * `11.02.2021 18:45:21` (Bitrix), and `0001-01-01` for "no date".
 */
import { wallClockParts } from "../wall-clock.ts";

/** Wall-clock date (`YYYY-MM-DD`) and time (`HH:MM:SS`) of an instant in a zone. */
export function wallClock(at: Date, timeZone: string): { date: string; time: string } {
  const p = wallClockParts(at, timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  return {
    date: `${String(p.year).padStart(4, "0")}-${two(p.month)}-${two(p.day)}`,
    time: `${two(p.hour)}:${two(p.minute)}:${two(p.second)}`,
  };
}

const ISO_LIKE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?/;
const DOTTED = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?/;

/**
 * A 1C date as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`; null for an empty or "no date" value;
 * text we cannot read is kept as it came (trimmed) rather than lost.
 */
export function normalizeOnecDate(raw: string | null | undefined): string | null {
  const text = raw?.trim() ?? "";
  if (text === "") return null;
  let y: string,
    mo: string,
    d: string,
    h: string | undefined,
    mi: string | undefined,
    s: string | undefined;
  let m = ISO_LIKE.exec(text);
  if (m) [, y, mo, d, h, mi, s] = m;
  else if ((m = DOTTED.exec(text))) [, d, mo, y, h, mi, s] = m;
  else return text;
  if (y === "0001") return null; // 1C's empty date
  const date = `${y}-${mo.padStart(2, "0")}-${d.padStart(2, "0")}`;
  if (h === undefined) return date;
  return `${date}T${h.padStart(2, "0")}:${mi!.padStart(2, "0")}:${(s ?? "0").padStart(2, "0")}`;
}
