// The bindings declared in wrangler.toml, plus the secrets (ADMIN_TOKEN, ENCRYPTION_KEY) set with
// `wrangler secret put` in production and .dev.vars locally.
declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("./index");
      durableNamespaces: "WebhookSequencer";
    }
    interface Env {
      DB: D1Database;
      DELIVERIES: Queue<import("./delivery/messages").QueueMessage>;
      DEAD_LETTERS: Queue<import("./delivery/messages").QueueMessage>;
      SEQUENCER: DurableObjectNamespace<import("./sequencer/webhook-sequencer").WebhookSequencer>;
      EXPORTS: R2Bucket;
      ADMIN_TOKEN: string;
      ENCRYPTION_KEY: string;
      HEADER_PREFIX?: string;
      LOG_RETENTION_DAYS?: string;
      DEV_DESTINATION_HOSTS?: string;
      /** "1" lets DEV_DESTINATION_HOSTS take effect (npm run dev sets it; never in production). */
      ALLOW_DEV_DESTINATIONS?: string;
      SWEEP_GRACE_SECONDS?: string;
      /** "1" turns on the cost counters read by `npm run bench` (never in production). */
      BENCH_METRICS?: string;
    }
  }
}

export type Env = Cloudflare.Env;
