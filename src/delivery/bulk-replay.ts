// Bulk replay by filter, oldest first, with no cap on the count: a job in D1, one page per job message, each page
// queueing the next, so no request or invocation ever holds the whole set. At most one runs per site. It replays
// original deliveries only (never a replay), so repeating it never doubles the work, and deliveries made after it
// started never match.
import type { Env } from "../env";
import type { DeliveryFilter } from "../domain/filter";
import { newId } from "../domain/ids";
import { Conflict } from "../domain/problems";
import type { Actor } from "../domain/actor";
import { countMatching as countQuery, replayPage as pageQuery, run } from "../db/delivery-log";
import type { ReplaySource } from "../db/deliveries";
import { auditStatement } from "../db/audit";
import {
  advanceBulkReplayStatement,
  bulkReplayAt,
  findBulkReplay,
  insertBulkReplayStatement,
  runningBulkReplay,
  stalledBulkReplays,
} from "../db/bulk-replays";
import { jobsQueue } from "./messages";
import { replay } from "./replay";

export const BULK_REPLAY_PAGE = 100;

/** How many deliveries match now, and the newest seq among them. */
export async function countMatching(d1: D1Database, siteId: string, filter: DeliveryFilter) {
  const row = await run(d1, countQuery(siteId, filter)).first<{ count: number; max_seq: number }>();
  return row ?? { count: 0, max_seq: 0 };
}

/** Starts the job (audited) and queues its first page; a site's second concurrent run is a Conflict naming the first. */
export async function startBulkReplay(
  env: Env,
  siteId: string,
  filter: DeliveryFilter,
  actor: Actor,
  now = Date.now(),
) {
  const { count, max_seq } = await countMatching(env.DB, siteId, filter);
  if (count === 0) return { count, job_id: null };
  const id = newId("rpl");
  try {
    await env.DB.batch([
      insertBulkReplayStatement(env.DB, {
        id,
        siteId,
        filter: JSON.stringify(filter),
        status: "running",
        afterSeq: 0,
        maxSeq: max_seq,
        matched: count,
        replayed: 0,
        createdBy: actor.name,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
      }),
      auditStatement(env.DB, {
        siteId,
        actor,
        action: "deliveries.bulk_replay_started",
        targetType: "bulk_replay",
        targetId: id,
        changes: { filter, matched: count },
        at: now,
      }),
    ]);
  } catch (err) {
    if (!String(err).includes("UNIQUE constraint failed")) throw err;
    const running = await runningBulkReplay(env.DB, siteId);
    throw new Conflict(`A bulk replay is already running on this site: ${running?.id ?? "(just finished)"}`);
  }
  await jobsQueue(env).send({ kind: "bulk_replay", job_id: id });
  return { count, job_id: id };
}

/** The cron's pass: queue again the bulk replays that stopped moving (their message was lost). */
export async function requeueStalledBulkReplays(env: Env, now: number): Promise<number> {
  const ids = await stalledBulkReplays(env.DB, now - 10 * 60_000, 20);
  for (const id of ids) await jobsQueue(env).send({ kind: "bulk_replay", job_id: id });
  return ids.length;
}

/**
 * One page: replays it and records the job's progress in the same atomic batch, guarded so that a repeated message
 * replays nothing twice. Returns whether more pages follow (the caller queues the next).
 */
export async function replayNextPage(env: Env, jobId: string, now = Date.now()): Promise<"more" | "done"> {
  const job = await findBulkReplay(env.DB, jobId);
  if (!job || job.status !== "running") return "done";
  const filter = JSON.parse(job.filter) as DeliveryFilter;
  const { results } = await run(
    env.DB,
    pageQuery(job.siteId, filter, job.afterSeq, job.maxSeq, BULK_REPLAY_PAGE),
  ).all<ReplaySource>();
  const last = results[results.length - 1];
  const done = results.length < BULK_REPLAY_PAGE || !last;
  const toSeq = last?.seq ?? job.maxSeq;
  await replay(
    env,
    results,
    {
      inPlace: false,
      resolveOriginals: false,
      guard: bulkReplayAt(job.id, job.afterSeq),
      then: [advanceBulkReplayStatement(env.DB, job.id, job.afterSeq, toSeq, results.length, done, now)],
    },
    now,
  );
  return done ? "done" : "more";
}
