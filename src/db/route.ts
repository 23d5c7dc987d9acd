// Which D1 database holds a site's rows: the one place that knows. Every query of a site's rows (keys, webhooks,
// events, deliveries, attempts, audit, jobs) gets its database from `databaseFor`; work that is not about one site
// (the cron's sweeps, retention, re-encryption; the root operator's site list) runs once per database through
// `allDatabases`. ESLint allows `env.DB` nowhere else.
//
// Sharding is configuration: add a [[d1_databases]] binding (DB_2, with the same migrations) and name the sites it
// holds in SITE_DATABASES (domain/site-databases.ts says how, and why a site never moves).
import { DEFAULT_DATABASE, databaseNameFor, parseSiteDatabases, type SiteDatabases } from "../domain/site-databases";

/** The bindings this needs (db/ does not import env.ts): DB, the routing variable, and any binding it names. */
export interface DatabaseBindings {
  DB: D1Database;
  SITE_DATABASES?: string;
}

/** The variable parsed once per isolate (it only changes with a deploy, which starts new isolates). */
let parsed: { raw: string | undefined; map: SiteDatabases } | null = null;

export function siteDatabases(env: DatabaseBindings): SiteDatabases {
  if (parsed === null || parsed.raw !== env.SITE_DATABASES) {
    parsed = { raw: env.SITE_DATABASES, map: parseSiteDatabases(env.SITE_DATABASES) };
  }
  return parsed.map;
}

/**
 * The database that holds `siteId`'s rows. No site: a queue message or an object from before routing, whose rows
 * are in the default database.
 */
export function databaseFor(env: DatabaseBindings, siteId: string | undefined): D1Database {
  return binding(env, databaseNameFor(siteDatabases(env), siteId));
}

/** Every database, default first: for the cron's per-database steps and cross-site reads. */
export function allDatabases(env: DatabaseBindings): D1Database[] {
  return siteDatabases(env).names.map((name) => binding(env, name));
}

function binding(env: DatabaseBindings, name: string): D1Database {
  if (name === DEFAULT_DATABASE) return env.DB;
  const db = (env as unknown as Record<string, unknown>)[name];
  if (!db || typeof (db as D1Database).prepare !== "function") {
    throw new Error(`SITE_DATABASES names ${name}, which is not a D1 binding of this Worker`);
  }
  return db as D1Database;
}
