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
      DELIVERIES: Queue<QueueMessage>;
      DEAD_LETTERS: Queue<QueueMessage>;
      SEQUENCER: DurableObjectNamespace<import("./sequencer/webhook-sequencer").WebhookSequencer>;
      EXPORTS: R2Bucket;
      ADMIN_TOKEN: string;
      ENCRYPTION_KEY: string;
      HEADER_PREFIX?: string;
      LOG_RETENTION_DAYS?: string;
      DEV_DESTINATION_HOSTS?: string;
      SWEEP_GRACE_SECONDS?: string;
      /** "1" turns on the cost counters read by `npm run bench` (never in production). */
      BENCH_METRICS?: string;
    }
  }
}

/**
 * What travels on the deliveries queue: only a pointer; D1 holds the delivery itself. `manual` marks an
 * operator's "attempt now", which goes out even while the webhook is paused.
 */
export interface DeliveryMessage {
  delivery_id: string;
  webhook_id: string;
  manual?: boolean;
}

/** One page of a bulk replay: the consumer replays it and queues the next page. */
export interface BulkReplayMessage {
  kind: "bulk_replay";
  site_id: string;
  filter: DeliveryFilter;
  after_seq: number;
  max_seq: number;
}

export interface DeliveryFilter {
  state?: string;
  event_type?: string;
  webhook_id?: string;
  from?: number;
  to?: number;
}

/** An export job to write (or finish writing) to R2. */
export interface ExportMessage {
  kind: "export";
  export_id: string;
}

export type QueueMessage = DeliveryMessage | BulkReplayMessage | ExportMessage;

export type Env = Cloudflare.Env;
