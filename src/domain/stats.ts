// A webhook's health signals from plain numbers: counts, success rate, latency percentiles, hourly cadence.
// The log's percentiles are computed in SQL with the same nearest-rank rule as `percentile` here.
import { deliveryStates } from "./delivery-state";

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * `counts`: deliveries by state, each with the attempts that spent its policy and its throttles (429s). A delivered
 * delivery's last attempt succeeded and every other attempt failed, so failed attempts = attempts - delivered;
 * throttles are counted apart: a throttle is not a failure.
 */
export function summarize(
  counts: { state: string; n: number; attempts?: number | null; throttles?: number | null }[],
  latency: { p50: number | null; p95: number | null },
  hourly: { hour: number; n: number }[],
  since: number,
  now: number,
) {
  const byState: Record<string, number> = Object.fromEntries(deliveryStates.map((s) => [s, 0]));
  for (const c of counts) byState[c.state] = c.n;
  const settled = byState.delivered! + byState.failed!;
  const perHour = new Map(hourly.map((h) => [h.hour, h.n]));
  const buckets: { hour: string; deliveries: number }[] = [];
  for (let h = Math.floor(since / 3600_000); h <= Math.floor(now / 3600_000); h++) {
    buckets.push({ hour: new Date(h * 3600_000).toISOString(), deliveries: perHour.get(h) ?? 0 });
  }
  const attempts = counts.reduce((a, c) => a + (c.attempts ?? 0), 0);
  const throttles = counts.reduce((a, c) => a + (c.throttles ?? 0), 0);
  return {
    counts: byState,
    success_rate: settled ? byState.delivered! / settled : null,
    requests: { attempts, failed: attempts - byState.delivered!, throttled: throttles },
    latency_ms: { p50: latency.p50, p95: latency.p95 },
    per_hour: buckets,
  };
}
