import type { Env, DeliveryMessage } from "../env";
export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, env: Env, ctx: ExecutionContext) {}
export async function consumeDeadLetters(batch: MessageBatch<DeliveryMessage>, env: Env) {}
