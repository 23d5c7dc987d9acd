// The sequencer's, the sweeper's and the resume's queries use the partial index of open deliveries (a query only
// gets a partial index by repeating its WHERE term word for word, so a reworded query would silently scan).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { lineDeliveriesStatement, overdueTestDeliveries, stuckWebhooks } from "../../src/db/delivery-line";
import { failedDeliveriesPage, heldCount } from "../../src/db/deliveries";
import { clearSettledAlertStatement } from "../../src/db/webhooks";
import { listDeliveries } from "../../src/db/delivery-log";
import { deliveryStates } from "../../src/domain/delivery-state";

/** A D1Database that records the SQL it is given and answers nothing. */
function recorder(): { d1: D1Database; sql: string[] } {
  const sql: string[] = [];
  const stmt = {
    bind: () => stmt,
    all: async () => ({ results: [] }),
    first: async () => null,
    run: async () => ({ meta: {} }),
  };
  const d1 = { prepare: (q: string) => (sql.push(q), stmt) } as unknown as D1Database;
  return { d1, sql };
}

async function planOf(q: string): Promise<string> {
  const params = Array.from(q.matchAll(/\?(?!\d)/g), () => 1);
  const numbered = Math.max(0, ...Array.from(q.matchAll(/\?(\d+)/g), (m) => Number(m[1])));
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q}`)
    .bind(...(numbered ? Array.from({ length: numbered }, () => 1) : params))
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join(" | ");
}

describe("query plans of the line and the sweeper", () => {
  it("finds open deliveries through deliveries_open, never a scan of deliveries", async () => {
    const { d1, sql } = recorder();
    lineDeliveriesStatement(d1, "wh_x");
    await stuckWebhooks(d1, Date.now(), 60_000, 10);
    await overdueTestDeliveries(d1, Date.now(), 60_000, 10);
    await failedDeliveriesPage(d1, "wh_x", 0, 100);
    await heldCount(d1, "wh_x");
    clearSettledAlertStatement(d1, "wh_x", Date.now());
    expect(sql).toHaveLength(6);
    for (const q of sql) {
      const plan = await planOf(q);
      expect(plan, plan).not.toMatch(/SCAN (deliveries|d|o)\b(?! USING)/);
      expect(plan, plan).toMatch(/deliveries_open/);
    }
  });

  it("serves the log's filter by each state from an index", async () => {
    for (const state of deliveryStates) {
      const q = listDeliveries("site_x", { state }, null, 50);
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
        .bind(...q.params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join(" | ");
      expect(plan, `${state}: ${plan}`).toMatch(/USING (COVERING )?INDEX/);
      // Delivered and pending, the common states, are found newest first through deliveries_site (a pending
      // delivery is a recent one); the rare ones through their partial index.
      if (!["delivered", "pending"].includes(state))
        expect(plan, `${state}: ${plan}`).toMatch(/deliveries_site_rare_state/);
    }
  });
});
