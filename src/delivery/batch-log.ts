// The consumer's one log line per batch: what became of its messages.
import { log } from "../log";

/**
 * Counts a batch's messages by what became of them, and logs the counts once. An attempt that did not deliver has its
 * own line (attempt.ts); one that delivered is in the delivery log, and a line of its own would be a Workers Logs
 * event billed per delivery.
 */
export class BatchLog {
  private counts: Record<string, number> = {};
  constructor(private readonly messages: number) {}
  count(what: string) {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }
  log(ms: number) {
    log("info", "delivery batch", { messages: this.messages, ...this.counts, ms });
  }
}
