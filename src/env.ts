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
      DELIVERIES: Queue<DeliveryMessage>;
      DEAD_LETTERS: Queue<DeliveryMessage>;
      SEQUENCER: DurableObjectNamespace<import("./sequencer/webhook-sequencer").WebhookSequencer>;
      EXPORTS: R2Bucket;
      ADMIN_TOKEN: string;
      ENCRYPTION_KEY: string;
      HEADER_PREFIX?: string;
      LOG_RETENTION_DAYS?: string;
      DEV_DESTINATION_HOSTS?: string;
      SWEEP_GRACE_SECONDS?: string;
    }
  }
}

/** What travels on the deliveries queue: only a pointer. D1 holds the delivery itself. */
export interface DeliveryMessage {
  delivery_id: string;
  webhook_id: string;
}

export type Env = Cloudflare.Env;
