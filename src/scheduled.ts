// The cron (every minute): the sweeper first, then housekeeping. Each step is independent: one failing
// does not stop the others.
import type { Env } from "./env";
import { sweep } from "./delivery/sweeper";

export async function runScheduled(env: Env, now: number, _ctx?: ExecutionContext) {
  const steps: [string, () => Promise<unknown>][] = [["sweep", () => sweep(env, now)]];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      console.error(JSON.stringify({ msg: "scheduled step failed", step: name, error: String(err) }));
    }
  }
}
