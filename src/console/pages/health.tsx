// A webhook's Health tab: success rate, p50/p95 latency, and the steady-cadence chart of deliveries per hour as
// inline SVG (no script, no inline style: colours come from the stylesheet's classes).
import type { WebhookView } from "../../webhooks/view";
import type { statsOf } from "../../logs/delivery-log";
import { webhookPath } from "../context";
import { utc } from "../ui";

export type Stats = Awaited<ReturnType<typeof statsOf>>;

const W = 960;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

export const HealthView = ({ site, hook, stats }: { site: string; hook: WebhookView; stats: Stats; now: number }) => {
  const hours = stats.per_hour;
  const total = hours.reduce((n, h) => n + h.deliveries, 0);
  const max = Math.max(1, ...hours.map((h) => h.deliveries));
  const busiest = hours.reduce((a, b) => (b.deliveries > a.deliveries ? b : a), hours[0]!);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / hours.length;
  const rate = stats.success_rate === null ? "—" : `${(stats.success_rate * 100).toFixed(1)} %`;
  const ms = (v: number | null) => (v === null ? "—" : `${v} ms`);
  const windowName = stats.window === "24h" ? "24 hours" : "7 days";
  const summary = `${total} ${total === 1 ? "delivery" : "deliveries"} in the last ${windowName}; at most ${max === 1 && total === 0 ? 0 : max} in one hour${
    total ? `, in the hour from ${utc(busiest.hour)}` : ""
  }.`;
  return (
    <section aria-labelledby="health-h">
      <h2 id="health-h">Health over the last {windowName}</h2>
      <p class="hint">
        Window:{" "}
        {stats.window === "24h" ? <b>24 h</b> : <a href={webhookPath(site, hook.id, "/health?window=24h")}>24 h</a>} ·{" "}
        {stats.window === "7d" ? <b>7 d</b> : <a href={webhookPath(site, hook.id, "/health?window=7d")}>7 d</a>}
      </p>
      <div class="stats">
        <div class="stat">
          Success rate<b>{rate}</b>
        </div>
        <div class="stat">
          Latency p50<b>{ms(stats.latency_ms.p50)}</b>
        </div>
        <div class="stat">
          Latency p95<b>{ms(stats.latency_ms.p95)}</b>
        </div>
        <div class="stat">
          Deliveries<b>{total}</b>
        </div>
        <div class="stat">
          Permanently failed<b>{stats.counts.failed ?? 0}</b>
        </div>
        <div class="stat">
          Retrying or held<b>{(stats.counts.retrying ?? 0) + (stats.counts.held ?? 0) + (stats.counts.pending ?? 0)}</b>
        </div>
      </div>
      <h3 id="chart-h">Deliveries per hour</h3>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-h chart-desc">
        <desc id="chart-desc">{summary}</desc>
        <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <text x={PAD.left - 6} y={PAD.top + 8} text-anchor="end">
          {max}
        </text>
        <text x={PAD.left - 6} y={H - PAD.bottom} text-anchor="end">
          0
        </text>
        {hours.map((h, i) => {
          const bh = (h.deliveries / max) * plotH;
          return (
            <rect
              class="bar"
              x={(PAD.left + i * bw + bw * 0.1).toFixed(1)}
              y={(H - PAD.bottom - bh).toFixed(1)}
              width={(bw * 0.8).toFixed(1)}
              height={bh.toFixed(1)}
            >
              <title>{`${utc(h.hour)}: ${h.deliveries}`}</title>
            </rect>
          );
        })}
        <text x={PAD.left} y={H - 6}>
          {utc(hours[0]!.hour)}
        </text>
        <text x={W - PAD.right} y={H - 6} text-anchor="end">
          {utc(hours[hours.length - 1]!.hour)}
        </text>
      </svg>
      <p class="hint">
        {summary} A steady cadence is the simplest health signal; long gaps then bursts deserve a look.
      </p>
    </section>
  );
};
