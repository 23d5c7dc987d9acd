import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
export class WebhookSequencer extends DurableObject<Env> {}
