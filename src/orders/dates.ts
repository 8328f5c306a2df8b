/**
 * Dates between us and 1C. CommerceML dates carry no zone: they are 1C's wall-clock time
 * (SALE_EXCHANGE_TIMEZONE). Formats seen in 1C's documents: `2021-02-17T22:51:37`,
 * `2021-02-18T9:49:02` (unpadded hour), `2015-08-12`, `2007-10-16 15:44:47`,
 * `11.02.2021 18:45:21` (Bitrix), and `0001-01-01` for "no date".
 */

/** Wall-clock date (`YYYY-MM-DD`) and time (`HH:MM:SS`) of an instant in a zone. */
export function wallClock(at: Date, timeZone: string): { date: string; time: string } {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(at)) parts[p.type] = p.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
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
