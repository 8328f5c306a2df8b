/**
 * Client-side pacing so runs stay under the documented per-method limits instead of
 * collecting 429s (WB: "any 4XX counts as 10 requests"; Ozon: "many identical or erroneous
 * requests … access may be restricted without warning").
 *
 * A token bucket per method group in GCRA form: one request per `intervalMs`, up to `burst`
 * at once. Reservations are taken synchronously, so concurrent callers in one process queue
 * up in order. Buckets are per process; several instances each keep their own, which is why
 * 429s are still honoured by the HTTP client.
 */

export interface Pace {
  /** Bucket name: one per account and method group, e.g. `wb:default:analytics-stocks`. */
  key: string;
  intervalMs: number;
  burst: number;
}

export class Pacer {
  readonly #tat = new Map<string, number>();

  /** `scale` multiplies every interval; 0 turns pacing off (test fakes). */
  constructor(readonly scale: number) {}

  /** Milliseconds the caller must wait before sending; the slot is reserved on return. */
  reserve(pace: Pace, now = Date.now()): number {
    const interval = pace.intervalMs * this.scale;
    if (interval <= 0) return 0;
    const tolerance = (Math.max(1, pace.burst) - 1) * interval;
    const tat = this.#tat.get(pace.key) ?? now;
    const start = Math.max(now, tat - tolerance);
    this.#tat.set(pace.key, Math.max(tat, start) + interval);
    return start - now;
  }

  /** After a 429: nobody in this process uses the bucket again before `waitMs` from now. */
  holdOff(pace: Pace, waitMs: number, now = Date.now()): void {
    const tolerance = (Math.max(1, pace.burst) - 1) * pace.intervalMs * this.scale;
    const tat = this.#tat.get(pace.key) ?? now;
    this.#tat.set(pace.key, Math.max(tat, now + waitMs + tolerance));
  }
}

const pacers = new Map<number, Pacer>();

/** One pacer per process (per scale, so tests with different settings do not share). */
export function sharedPacer(scale: number): Pacer {
  let p = pacers.get(scale);
  if (!p) pacers.set(scale, p = new Pacer(scale));
  return p;
}
