// Which D1 database holds a site's rows. One deployment has one database (the DB binding) today; this is the one
// place that would change to spread sites over several.
//
// To shard: add bindings to wrangler.toml ([[d1_databases]] DB_1, DB_2, … each with its own database_id and the
// same migrations), list them in `allDatabases`, and make `databaseFor` pick one by a rule that never moves a site
// once it has rows: a stable hash of the site id over a fixed list, or a site→shard map kept in the first database
// (read once per isolate and cached, since a site's shard never changes). Every query of a site's rows (keys,
// webhooks, events, deliveries, attempts, audit) must then go through `databaseFor`; the cron's sweeps and
// retention run once per database through `allDatabases`. Cross-site reads (the root operator's site list) read
// every database.
/** The bindings this needs (db/ does not import env.ts): today only DB. */
export interface DatabaseBindings {
  DB: D1Database;
}

/** The database that holds `siteId`'s rows. */
export function databaseFor(env: DatabaseBindings, siteId: string): D1Database {
  void siteId; // one database today: every site lives in env.DB
  return env.DB;
}

/** Every database, for the cron's sweeps and retention (each runs once per database). */
export function allDatabases(env: DatabaseBindings): D1Database[] {
  return [env.DB];
}
