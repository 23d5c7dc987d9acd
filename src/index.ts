// Entry: fetch (the Hono app), queue (the delivery consumer), scheduled (sweeper and housekeeping).
import type { Env, QueueMessage } from "./env";
import { createApp } from "./api/app";
import { consumeQueue, consumeDeadLetters } from "./delivery/consumer";
import { runScheduled } from "./scheduled";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<QueueMessage>, env: Env) {
    if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
    return consumeQueue(batch, env);
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    await runScheduled(env, controller.scheduledTime, ctx);
  },
} satisfies ExportedHandler<Env, QueueMessage>;
