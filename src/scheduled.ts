import type { Env } from "./env";
export async function runScheduled(env: Env, now: number, ctx: ExecutionContext) {}
