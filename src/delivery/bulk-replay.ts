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
import { databaseFor, allDatabases } from "../db/route";
import { jobsQueue } from "./messages";
import { replay } from "./replay";

export const BULK_REPLAY_PAGE = 100;

/** How many deliveries match now, and the newest seq among them. */
export async function countMatching(env: Env, siteId: string, filter: DeliveryFilter) {
  const row = await run(databaseFor(env, siteId), countQuery(siteId, filter)).first<{
    count: number;
    max_seq: number;
  }>();
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
  const db = databaseFor(env, siteId);
  const { count, max_seq } = await countMatching(env, siteId, filter);
  if (count === 0) return { count, job_id: null };
  const id = newId("rpl");
  try {
    await db.batch([
      insertBulkReplayStatement(db, {
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
      auditStatement(db, {
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
    const running = await runningBulkReplay(db, siteId);
    throw new Conflict(`A bulk replay is already running on this site: ${running?.id ?? "(just finished)"}`);
  }
  await jobsQueue(env).send({ kind: "bulk_replay", job_id: id, site_id: siteId });
  return { count, job_id: id };
}

/** The cron's pass: queue again the bulk replays that stopped moving (their message was lost). */
export async function requeueStalledBulkReplays(env: Env, now: number): Promise<number> {
  let n = 0;
  for (const db of allDatabases(env)) {
    const stalled = await stalledBulkReplays(db, now - 10 * 60_000, 20);
    for (const j of stalled) await jobsQueue(env).send({ kind: "bulk_replay", job_id: j.id, site_id: j.siteId });
    n += stalled.length;
  }
  return n;
}

/**
 * One page: replays it and records the job's progress in the same atomic batch, guarded so that a repeated message
 * replays nothing twice. Returns whether more pages follow (the caller queues the next).
 */
export async function replayNextPage(
  env: Env,
  siteId: string | undefined,
  jobId: string,
  now = Date.now(),
): Promise<"more" | "done"> {
  const db = databaseFor(env, siteId);
  const job = await findBulkReplay(db, jobId);
  if (!job || job.status !== "running") return "done";
  const filter = JSON.parse(job.filter) as DeliveryFilter;
  const { results } = await run(
    db,
    pageQuery(job.siteId, filter, job.afterSeq, job.maxSeq, BULK_REPLAY_PAGE),
  ).all<ReplaySource>();
  const last = results[results.length - 1];
  const done = results.length < BULK_REPLAY_PAGE || !last;
  const toSeq = last?.seq ?? job.maxSeq;
  await replay(
    env,
    job.siteId,
    results,
    {
      inPlace: false,
      resolveOriginals: false,
      guard: bulkReplayAt(job.id, job.afterSeq),
      then: [advanceBulkReplayStatement(db, job.id, job.afterSeq, toSeq, results.length, done, now)],
    },
    now,
  );
  return done ? "done" : "more";
}
