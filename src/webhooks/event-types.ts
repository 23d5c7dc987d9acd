// A site's event types: the catalog plus the site's own (family Custom). Creating one lets producers send it and
// webhooks subscribe to it; one still subscribed to cannot be deleted. Each change is audited.
import type { Env } from "../env";
import { isBuiltInEventType, type EventTypeInfo } from "../domain/catalog";
import {
  customTypeNameProblem,
  MAX_CUSTOM_EVENT_TYPES,
  siteCatalog,
  type CustomEventTypeInput,
} from "../domain/custom-event-types";
import { Conflict, InvalidInput, NotFound } from "../domain/problems";
import type { Actor } from "../domain/actor";
import {
  deleteCustomTypeStatements,
  insertCustomTypeStatements,
  listCustomTypes,
  subscribedWebhooks,
} from "../db/event-types";
import { databaseFor } from "../db/route";

/** Every type the site can send and subscribe to: the catalog in its order, then its own by name. */
export async function siteEventTypes(env: Env, siteId: string): Promise<EventTypeInfo[]> {
  const db = databaseFor(env, siteId);
  return siteCatalog(await listCustomTypes(db, siteId));
}

/** The site's own types, as a set (for checking subscriptions). */
export async function customTypeNames(env: Env, siteId: string): Promise<Set<string>> {
  const db = databaseFor(env, siteId);
  return new Set((await listCustomTypes(db, siteId)).map((t) => t.type));
}

export async function createCustomType(
  env: Env,
  siteId: string,
  input: CustomEventTypeInput,
  actor: Actor,
  now = Date.now(),
): Promise<EventTypeInfo> {
  const db = databaseFor(env, siteId);
  const problem = customTypeNameProblem(input.type);
  if (problem?.kind === "built_in") throw new Conflict(`${problem.message}: a site's own type cannot shadow it`);
  if (problem) throw new InvalidInput([{ path: "type", message: problem.message }]);
  const existing = await listCustomTypes(db, siteId);
  if (existing.some((t) => t.type === input.type)) throw new Conflict(`The site already has the type ${input.type}`);
  if (existing.length >= MAX_CUSTOM_EVENT_TYPES) {
    throw new InvalidInput([
      { path: "type", message: `a site has at most ${MAX_CUSTOM_EVENT_TYPES} types of its own` },
    ]);
  }
  const row = { type: input.type, description: input.description, created_by: actor.name, created_at: now };
  try {
    await db.batch(
      insertCustomTypeStatements(db, siteId, row, {
        siteId,
        actor,
        action: "event_type.created",
        targetType: "event_type",
        targetId: input.type,
        changes: { description: input.description },
        at: now,
      }),
    );
  } catch (err) {
    // Another request created it between our read and our write.
    if (String(err).includes("UNIQUE constraint failed"))
      throw new Conflict(`The site already has the type ${input.type}`);
    throw err;
  }
  return { type: row.type, family: "Custom", description: row.description };
}

/** 409 while any live webhook of the site subscribes to it; 409 for a built-in type. */
export async function deleteCustomType(env: Env, siteId: string, type: string, actor: Actor, now = Date.now()) {
  const db = databaseFor(env, siteId);
  if (isBuiltInEventType(type))
    throw new Conflict(`${type} is a built-in type: only a site's own types can be deleted`);
  const existing = await listCustomTypes(db, siteId);
  if (!existing.some((t) => t.type === type)) throw new NotFound("Event type");
  const [deleted] = await db.batch(
    deleteCustomTypeStatements(db, siteId, type, {
      siteId,
      actor,
      action: "event_type.deleted",
      targetType: "event_type",
      targetId: type,
      at: now,
    }),
  );
  if (!deleted!.meta.changes) {
    const hooks = await subscribedWebhooks(db, siteId, type);
    throw new Conflict(
      `${type} is still subscribed to by ${hooks.map((h) => `${h.name} (${h.id})`).join(", ") || "a webhook"}: ` +
        "unsubscribe them first",
    );
  }
}
