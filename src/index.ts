// Entry: fetch (the Hono app), queue (the delivery consumer), scheduled (sweeper and housekeeping).
import type { Env, QueueMessage } from "./env";
import { createApp } from "./api/app";
import { consumeQueue, consumeDeadLetters } from "./delivery/consumer";
import { runScheduled } from "./scheduled";
import { countedInvocation, instrument } from "./metrics";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

const app = createApp();

export default {
  fetch: (req: Request, env: Env, ctx: ExecutionContext) => app.fetch(req, instrument(env), ctx),
  async queue(batch: MessageBatch<QueueMessage>, env: Env) {
    return countedInvocation(batch, env, (b) =>
      b.queue.endsWith("-dlq") ? consumeDeadLetters(b, env) : consumeQueue(b, instrument(env)),
    );
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    await runScheduled(instrument(env), controller.scheduledTime, ctx);
  },
} satisfies ExportedHandler<Env, QueueMessage>;
