// What travels on the deliveries queue. A message is only transport: D1 holds the delivery itself, and a lost
// message is re-driven from D1 by the sweeper.
import type { DeliveryFilter } from "../domain/filter";
import type { Env } from "../env";

/** A pointer to one delivery. `manual` marks an operator's "attempt now", which goes out even while paused. */
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

/** An export job to write (or finish writing) to R2. */
export interface ExportMessage {
  kind: "export";
  export_id: string;
}

export type QueueMessage = DeliveryMessage | BulkReplayMessage | ExportMessage;

/** The deliveries queue, typed: `wrangler types` declares every queue as Queue<unknown>. */
export function deliveriesQueue(env: Env): Queue<QueueMessage> {
  return env.DELIVERIES as Queue<QueueMessage>;
}
