/**
 * Constant-time string comparison for credentials: both sides are hashed first so the
 * comparison takes the same time whatever the lengths.
 */
import { timingSafeEqual } from "node:crypto";
import { createHash } from "node:crypto";

export function timingSafeEqualStr(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
