// The jobs queue's consumer: export steps and bulk replay pages, apart from deliveries. Each message is one
// bounded step; a step that stops early queues the next, and one that fails is retried from its progress in D1.
import type { Env } from "../env";
import { jobsQueue, type JobMessage } from "../delivery/messages";
import { replayNextPage } from "../delivery/bulk-replay";
import { runExportStep } from "../logs/export-writer";
import { log } from "../log";

/** A failed step waits longer each time: 5 s, 10 s, 20 s … up to 5 min. */
const retryDelay = (attempts: number) => Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));

export async function consumeJobs(batch: MessageBatch<JobMessage>, env: Env) {
  for (const msg of batch.messages) {
    try {
      const next =
        msg.body.kind === "export"
          ? await runExportStep(env, msg.body.site_id, msg.body.export_id)
          : await replayNextPage(env, msg.body.site_id, msg.body.job_id);
      if (next === "more") await jobsQueue(env).send(msg.body);
      // Another copy of this step is running: come back after it, in case it stops early.
      if (next === "busy") msg.retry({ delaySeconds: 30 });
      else msg.ack();
    } catch (err) {
      log("error", "job step failed; it resumes from its saved progress", { ...msg.body, error: String(err) });
      msg.retry({ delaySeconds: retryDelay(msg.attempts) });
    }
  }
}
