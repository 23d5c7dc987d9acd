// Entry: fetch (the Hono app: API and console), queue (the deliveries consumer, the jobs consumer, the dead
// letters), scheduled (sweeper and housekeeping).
import type { Env } from "./env";
import type { DeliveryMessage, JobMessage } from "./delivery/messages";
import { createApp } from "./api/app";
import { consoleApp } from "./console/index";
import { consumeQueue, consumeDeadLetters } from "./delivery/consumer";
import { consumeJobs } from "./jobs/consumer";
import { runScheduled } from "./scheduled";
import { countedInvocation, instrument } from "./metrics";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

// The REST API, and the operator console beside it on the same Worker (its own error pages and headers).
const app = createApp().route("/console", consoleApp);

export default {
  fetch: (req: Request, env: Env, ctx: ExecutionContext) => app.fetch(req, instrument(env), ctx),
  async queue(batch: MessageBatch<unknown>, env: Env) {
    return countedInvocation(batch, env, (b) => {
      if (b.queue.endsWith("-dlq")) return consumeDeadLetters(b, env);
      if (b.queue === "edgehooks-jobs") return consumeJobs(b as MessageBatch<JobMessage>, instrument(env));
      return consumeQueue(b as MessageBatch<DeliveryMessage>, instrument(env));
    });
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    await runScheduled(instrument(env), controller.scheduledTime, ctx);
  },
} satisfies ExportedHandler<Env>;
