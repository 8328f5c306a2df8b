/**
 * Notices to ALERT_WEBHOOK_URL (a Slack or Telegram relay sits behind it) when a run fails, a
 * source goes stale or an anomaly is flagged — "never more than one notice per source and
 * kind per hour", across all instances: the hour is claimed in Postgres before sending.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";

export type AlertKind = "failed" | "stale" | "anomaly";

export interface Alert {
  source: MarketplaceSource;
  kind: AlertKind;
  message: string;
  runId?: string | null;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

/** True when the notice was sent; false when off, throttled, or the relay failed. */
export async function sendAlert(ctx: AppContext, alert: Alert): Promise<boolean> {
  const url = ctx.config.marketplaces.alertWebhookUrl;
  if (!url) return false;
  const claimed = await sql<{ source: string }>`
    INSERT INTO marketplace_alerts (source, kind, last_sent_at)
    VALUES (${alert.source}, ${alert.kind}, now())
    ON CONFLICT (source, kind) DO UPDATE SET last_sent_at = now()
    WHERE marketplace_alerts.last_sent_at <= now() - interval '1 hour'
    RETURNING source`.execute(ctx.db);
  if (claimed.rows.length === 0) {
    ctx.log.debug({ source: alert.source, kind: alert.kind }, "alert throttled (one per hour)");
    return false;
  }
  const body = {
    source: alert.source,
    kind: alert.kind,
    message: alert.message,
    runId: alert.runId === undefined || alert.runId === null ? null : Number(alert.runId),
    at: new Date().toISOString(),
    // Slack incoming webhooks and most Telegram relays print `text`.
    text: `Stock sync, ${alert.source}: ${TITLES[alert.kind]} — ${alert.message}`,
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    ctx.log.info({ source: alert.source, kind: alert.kind }, "alert sent");
    return true;
  } catch (err) {
    // The hour stays claimed: a relay that is down must not turn into a retry storm.
    ctx.log.warn(
      { source: alert.source, kind: alert.kind, err: (err as Error).message },
      "alert webhook failed",
    );
    return false;
  }
}

const TITLES: Record<AlertKind, string> = {
  failed: "a run failed",
  stale: "no successful read for too long",
  anomaly: "anomaly, inventory left as it was",
};
