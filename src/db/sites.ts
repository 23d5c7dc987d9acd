// Sites: the tenant every key, webhook, event and delivery belongs to.
import { desc, eq, or } from "drizzle-orm";
import { database } from "./client";
import { sites } from "./schema";
import { statement } from "./sql";
import { allDatabases, type DatabaseBindings } from "./route";

export type SiteRow = typeof sites.$inferSelect;
/** What an envelope names of its site. */
export type SiteRef = Pick<SiteRow, "id" | "slug" | "host">;

export function findSite(d1: D1Database, id: string): Promise<SiteRow | undefined> {
  return database(d1).select().from(sites).where(eq(sites.id, id)).get();
}

/** A site that already has this id or this slug. */
export function findSiteClash(d1: D1Database, id: string, slug: string) {
  return database(d1)
    .select({ id: sites.id, slug: sites.slug })
    .from(sites)
    .where(or(eq(sites.id, id), eq(sites.slug, slug)))
    .get();
}

export function insertSiteStatement(d1: D1Database, row: SiteRow): D1PreparedStatement {
  return statement(d1, database(d1).insert(sites).values(row));
}

/** The envelope's site fields, as one statement of the ingest batch. */
export function siteRefStatement(d1: D1Database, id: string): D1PreparedStatement {
  return d1.prepare("SELECT id, slug, host FROM sites WHERE id = ?").bind(id);
}

export async function allSiteIds(d1: D1Database): Promise<string[]> {
  const { results } = await d1.prepare("SELECT id FROM sites").all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Sites for the root operator's picker, newest first. */
export function listSites(d1: D1Database, limit: number): Promise<SiteRow[]> {
  return database(d1).select().from(sites).orderBy(desc(sites.createdAt)).limit(limit);
}

// Across databases (db/route.ts): a site's id and slug are unique in the deployment, not just in its database.

/** A site that already has this id or this slug, in any database. */
export async function findSiteClashAnywhere(env: DatabaseBindings, id: string, slug: string) {
  const found = await Promise.all(allDatabases(env).map((db) => findSiteClash(db, id, slug)));
  return found.find((s) => s !== undefined);
}

/** Sites for the root operator's picker, newest first, from every database. */
export async function listSitesEverywhere(env: DatabaseBindings, limit: number): Promise<SiteRow[]> {
  const lists = await Promise.all(allDatabases(env).map((db) => listSites(db, limit)));
  return lists
    .flat()
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, limit);
}
