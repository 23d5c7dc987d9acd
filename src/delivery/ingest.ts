// STUB (lead implements): accepting events and fanning them out.
import type { Env } from "../env";
import type { sites, webhooks } from "../db/schema";

export type SiteRow = typeof sites.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;

/** POST …/test: a `webhook.test` event for this webhook alone (also a draft). */
export async function sendTestEvent(env: Env, site: SiteRow, webhook: WebhookRow, actor: string): Promise<{ event_id: string; delivery_id: string }> {
  throw new Error("stub");
}
