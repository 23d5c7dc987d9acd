// The sequencer's serial section, and its queue sends taken out of it.
import type { Env } from "../env";
import { chunk } from "../db/sql";
import { deliveriesQueue } from "../delivery/messages";

/** A queue send a serial section asked for, as the line was when it asked. */
export interface QueuedSend {
  webhookId: string;
  siteId: string | undefined;
  paced: boolean;
  ids: string[];
  delaySeconds: number;
}

/**
 * Runs calls one at a time, in arrival order. The queue sends a call asks for go out after its section, outside
 * it: the caller still waits for them, but the next call need not wait for the queue. That is safe because:
 * - the section records its state first (D1 rows, the line in memory, the pacing state in storage), and D1 is the
 *   source of truth: a send that fails afterwards leaves a pending or retrying row that the sweeper re-drives once
 *   overdue (reconcile), and a paced line's outstanding release is sent again by its alarm;
 * - the sends of two sections may reach the queue in either order, but ordering never rested on the queue (best
 *   effort anyway): the line releases a target's next delivery (or, on a line that pauses on failure, the
 *   webhook's next) only once the previous one settled, and a settle comes from a consumer that got its message.
 */
export class SerialLine {
  private chain: Promise<unknown> = Promise.resolve();
  /** The running section's sends; null outside a section. */
  private sends: QueuedSend[] | null = null;

  constructor(private readonly deliver: (sends: QueuedSend[]) => Promise<void>) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    const sends: QueuedSend[] = [];
    const section = async () => {
      this.sends = sends;
      try {
        return await fn();
      } finally {
        this.sends = null;
      }
    };
    const run = this.chain.then(section, section);
    this.chain = run.catch(() => undefined);
    // Even when the section failed: whatever it released before failing is marked in flight and must go out.
    return run.finally(() => (sends.length ? this.deliver(sends) : undefined));
  }

  /** Inside a section: sent once the section ends. Outside one: sent now. */
  async send(queued: QueuedSend): Promise<void> {
    if (this.sends) this.sends.push(queued);
    else await this.deliver([queued]);
  }
}

export async function sendToQueue(env: Env, sends: QueuedSend[]): Promise<void> {
  for (const { webhookId, siteId, paced, ids, delaySeconds } of sends) {
    for (const part of chunk(ids, 100)) {
      await deliveriesQueue(env).sendBatch(
        part.map((id) => ({
          body: { delivery_id: id, webhook_id: webhookId, site_id: siteId, ...(paced && { paced: true }) },
        })),
        delaySeconds > 0 ? { delaySeconds } : undefined,
      );
    }
  }
}
