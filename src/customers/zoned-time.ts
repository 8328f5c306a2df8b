/**
 * 1C writes dates as wall-clock time without a zone (ДатаФормирования="2015-06-26T18:28:11").
 * They mean the time on 1C's clock, so they are read in the configured IANA zone.
 */
import { wallClockParts } from "../wall-clock.ts";

const WALL_CLOCK =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The instant `text` names in `timeZone`, or null when it is not a date. */
export function parseWallClock(text: string | null | undefined, timeZone: string): Date | null {
  if (!text) return null;
  const m = WALL_CLOCK.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(
    Number,
  );
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (m[7]) {
    // An explicit zone (1C never writes one, other senders might) wins over the setting.
    if (m[7] === "Z") return new Date(wall);
    const sign = m[7][0] === "-" ? -1 : 1;
    const digits = m[7].slice(1).replace(":", "");
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
    return new Date(wall - sign * minutes * 60_000);
  }
  return fromWallClock(wall, timeZone);
}

/** Midnight of the current day in `timeZone`. */
export function startOfDay(now: Date, timeZone: string): Date {
  const local = new Date(now.getTime() + offsetMs(timeZone, now));
  return fromWallClock(
    Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()),
    timeZone,
  );
}

/** `wall` is a UTC timestamp whose fields are the wall-clock time in `timeZone`. */
function fromWallClock(wall: number, timeZone: string): Date {
  // The zone's offset at the guessed instant; once more in case the guess crossed a DST change.
  let instant = wall - offsetMs(timeZone, new Date(wall));
  instant = wall - offsetMs(timeZone, new Date(instant));
  return new Date(instant);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`. */
function offsetMs(timeZone: string, at: Date): number {
  const p = wallClockParts(at, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}
