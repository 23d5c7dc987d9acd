// Entry: fetch (the Hono app), queue (the delivery consumer), scheduled (sweeper and housekeeping).
import type { Env, DeliveryMessage } from "./env";
import { createApp } from "./api/app";
import { consumeDeliveries, consumeDeadLetters } from "./delivery/consumer";
import { runScheduled } from "./scheduled";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<DeliveryMessage>, env: Env, ctx: ExecutionContext) {
    if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
    return consumeDeliveries(batch, env, ctx);
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    await runScheduled(env, controller.scheduledTime, ctx);
  },
} satisfies ExportedHandler<Env, DeliveryMessage>;
