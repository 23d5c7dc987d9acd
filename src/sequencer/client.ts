// How the rest of the app talks to a webhook's sequencer (its Durable Object).
import type { Env } from "../env";

/** Call after a webhook's status, failure mode or existence changed in D1. STUB: lead implements. */
export async function webhookConfigChanged(env: Env, webhookId: string): Promise<void> {}
