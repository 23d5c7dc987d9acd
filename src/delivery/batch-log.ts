// The consumer's one log line per batch: what became of its messages.
import { log } from "../log";

/**
 * Counts a batch's messages by what became of them, and logs the counts once. An attempt that did not deliver has its
 * own line (attempt.ts); one that delivered is in the delivery log, and a line of its own would be a Workers Logs
 * event billed per delivery.
 */
export class BatchLog {
  private readonly startedAt = Date.now();
  private last = this.startedAt;
  private counts: Record<string, number> = {};
  private phases: Record<string, number> = {};
  constructor(private readonly messages: number) {}

  count(what: string) {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }

  /** Where the batch's time went: `<name>_ms` since the previous phase (claim, send, record, settle). */
  phase(name: string) {
    const now = Date.now();
    this.phases[`${name}_ms`] = now - this.last;
    this.last = now;
  }

  log() {
    log("info", "delivery batch", {
      messages: this.messages,
      ...this.counts,
      ms: Date.now() - this.startedAt,
      ...this.phases,
    });
  }
}
