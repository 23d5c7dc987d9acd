// What travels on the queues. A message is only transport: D1 holds the delivery or the job itself, and a lost
// message is re-driven from D1 by the cron.
import type { Env } from "../env";

/**
 * A pointer to one delivery. `manual` marks an operator's "attempt now", which goes out even while paused. `paced`
 * marks a release of a rate-limited line: whatever becomes of it goes back to the line's sequencer, which releases
 * the next request.
 */
export interface DeliveryMessage {
  delivery_id: string;
  webhook_id: string;
  /** Whose database holds the delivery (db/route.ts). Absent on a message from before routing: the default one. */
  site_id?: string;
  manual?: boolean;
  paced?: boolean;
}

/**
 * Background work, on its own queue so a large export or bulk replay never delays deliveries: one step of an
 * export, or one page of a bulk replay. Each step leaves its progress in D1, so a repeated or lost message only
 * repeats or delays a step.
 */
export type JobMessage = ({ kind: "export"; export_id: string } | { kind: "bulk_replay"; job_id: string }) & {
  /** Whose database holds the job (db/route.ts). Absent on a message from before routing: the default one. */
  site_id?: string;
};

/** The deliveries queue, typed: `wrangler types` declares every queue as Queue<unknown>. */
export function deliveriesQueue(env: Env): Queue<DeliveryMessage> {
  return env.DELIVERIES as Queue<DeliveryMessage>;
}

export function jobsQueue(env: Env): Queue<JobMessage> {
  return env.JOBS as Queue<JobMessage>;
}
