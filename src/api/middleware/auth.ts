// Bearer auth: the deployment's ADMIN_TOKEN (root), or a site key looked up by the SHA-256 of its token.
// Revocation is immediate: nothing is cached. Every request reads its key from D1 (revoked_at IS NULL), so the
// first request after a revoke is a 401, in every isolate. On ingest the same round trip also reads the site's
// context (see identifyForIngest), so the read that makes revocation immediate costs ingest nothing extra.
import type { Context, MiddlewareHandler } from "hono";
import { activeKeyByHashStatement, parseActiveKey, type ActiveKey } from "../../db/api-keys";
import { ingestContextStatements, parseIngestContext, type IngestContext } from "../../db/ingest";
import { allDatabases, databaseFor } from "../../db/route";
import { findSite } from "../../db/sites";
import { sha256Hex, timingSafeEqual } from "../../domain/crypto";
import type { Audience } from "../../domain/redaction";
import { ProblemError } from "../problem";
import type { Env } from "../../env";
import type { AppEnv, Auth, Role } from "../router";

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new ProblemError(401, "Unauthorized", "Send Authorization: Bearer <token>");
  const ingestSite = c.req.method === "POST" ? INGEST_PATH.exec(c.req.path)?.[1] : undefined;
  let auth: Auth | null;
  if (ingestSite === undefined) {
    const site = SITE_PATH.exec(c.req.path)?.[1];
    auth = await identify(c.env, match[1]!, site === undefined ? undefined : pathSegment(site));
  } else {
    const found = await identifyForIngest(c.env, match[1]!, pathSegment(ingestSite));
    auth = found.auth;
    if (found.context) c.set("ingestContext", found.context);
  }
  if (!auth) throw new ProblemError(401, "Unauthorized", "The token is unknown or revoked");
  c.set("auth", auth);
  return next();
};

/** Any path under /v1/sites/{site}: the key is most likely in that site's database. */
const SITE_PATH = /^\/v1\/sites\/([^/]+)/;

/** POST /v1/sites/{site}/events and …/events/batch. */
const INGEST_PATH = /^\/v1\/sites\/([^/]+)\/events(?:\/batch)?$/;

/** A path segment decoded; one that does not decode stays as it is (it then names no site: a 404, never a 500). */
function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A site key reaches its own site only: any other site is a 404, exactly as if it did not exist. */
export const ownSiteOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = c.get("auth");
  if (auth.kind === "key" && auth.siteId !== c.req.param("site")) {
    throw new ProblemError(404, "Not found", "Site not found");
  }
  return next();
};

/**
 * Who a token is: the root token, or a live site key looked up by its SHA-256; null when unknown or revoked.
 * The API checks it on every request; the console checks it once, at sign-in. A key lives in its site's database
 * (db/route.ts): `siteHint` (the site the request is about) is looked in first, then every other database, so a key
 * of another site is still known (and gets a 404 for this site, not a 401).
 */
export async function identify(
  env: Pick<Env, "DB" | "ADMIN_TOKEN" | "SITE_DATABASES">,
  token: string,
  siteHint?: string,
): Promise<Auth | null> {
  const hash = await sha256Hex(token);
  if (await isRootToken(env, hash)) return { kind: "root" };
  const first = siteHint === undefined ? null : databaseFor(env, siteHint);
  const key = first ? parseActiveKey(await activeKeyByHashStatement(first, hash).all()) : undefined;
  return keyAuth(key ?? (await keyElsewhere(env, hash, first)), hash);
}

/** A live key in any database but `looked` (already searched); one database: none to search. */
async function keyElsewhere(env: Pick<Env, "DB" | "SITE_DATABASES">, hash: string, looked: D1Database | null) {
  const others = allDatabases(env).filter((db) => db !== looked);
  const found = await Promise.all(
    others.map(async (db) => parseActiveKey(await activeKeyByHashStatement(db, hash).all())),
  );
  return found.find((k) => k !== undefined);
}

/** Whether a token's hash is the root token's (compared in constant time). */
async function isRootToken(env: Pick<Env, "ADMIN_TOKEN">, hash: string): Promise<boolean> {
  return !!env.ADMIN_TOKEN && timingSafeEqual(hash, await sha256Hex(env.ADMIN_TOKEN));
}

/** The caller a live key makes, or null (the hash is compared again in constant time, not by the index alone). */
function keyAuth(key: ActiveKey | undefined, hash: string): Auth | null {
  if (!key || !timingSafeEqual(key.tokenHash, hash)) return null;
  return { kind: "key", keyId: key.id, siteId: key.siteId, role: key.role, name: key.name };
}

/**
 * identify, for an ingest request to `siteId`: the key lookup and the site's ingest context (site, subscribers, own
 * event types) in one batch, so that accepting the events is a single write batch after it. The context is read
 * from the site's database; it is only handed on for a key of that same site (the route checks the role).
 */
async function identifyForIngest(
  env: Pick<Env, "DB" | "ADMIN_TOKEN" | "SITE_DATABASES">,
  token: string,
  siteId: string,
): Promise<{ auth: Auth | null; context: IngestContext | null }> {
  const hash = await sha256Hex(token);
  if (await isRootToken(env, hash)) return { auth: { kind: "root" }, context: null };
  const db = databaseFor(env, siteId);
  const [key, ...context] = await db.batch([
    activeKeyByHashStatement(db, hash),
    ...ingestContextStatements(db, siteId),
  ]);
  // Not in the site's database: maybe another site's key, elsewhere (it then gets a 404, as with one database).
  const auth = keyAuth(parseActiveKey(key) ?? (await keyElsewhere(env, hash, db)), hash);
  return { auth, context: auth?.kind === "key" && auth.siteId === siteId ? parseIngestContext(siteId, context) : null };
}

/** What a call needs: `ingest` sends events, `read` views, `manage` changes webhooks and keys. */
export type Capability = "ingest" | "read" | "manage";

const GRANTS: Record<Role, Capability[]> = {
  ingest: ["ingest"],
  viewer: ["read"],
  "integrations-admin": ["read", "manage"],
};

/**
 * Checks that the caller reaches `siteId` with `need`, and that the site exists.
 * A key of another site gets a 404, exactly as if the site did not exist; the wrong role gets a 403.
 */
export async function requireSite(c: Context<AppEnv>, siteId: string, need: Capability) {
  requireAccess(c, siteId, need);
  const site = await findSite(databaseFor(c.env, siteId), siteId);
  if (!site) throw new ProblemError(404, "Not found", "Site not found");
  return site;
}

/**
 * Whether `auth` may do `need` on `siteId`: a key of another site is "not_found" (it must not learn that the site
 * exists), the wrong role "forbidden". The one rule behind both the API's answers and the console's controls.
 */
export function access(auth: Auth, siteId: string, need: Capability): "ok" | "not_found" | "forbidden" {
  if (auth.kind === "root") return "ok";
  if (auth.siteId !== siteId) return "not_found";
  return GRANTS[auth.role].includes(need) ? "ok" : "forbidden";
}

/**
 * What a caller reading `siteId` may see: everything if it may also manage the site (integrations-admin, root);
 * otherwise (a viewer) URLs' paths and queries and signatures are redacted.
 */
export function audienceOf(auth: Auth, siteId: string): Audience {
  return access(auth, siteId, "manage") === "ok" ? "full" : "redacted";
}

/** The role and site checks of requireSite, without loading the site (the caller loads it with its own batch). */
export function requireAccess(c: Context<AppEnv>, siteId: string, need: Capability) {
  const auth: Auth = c.get("auth");
  const verdict = access(auth, siteId, need);
  if (verdict === "not_found") throw new ProblemError(404, "Not found", "Site not found");
  if (verdict === "forbidden" && auth.kind === "key") {
    throw new ProblemError(403, "Forbidden", `A key with role ${auth.role} cannot ${need} here`);
  }
}
export function requireRoot(c: Context<AppEnv>) {
  if (c.get("auth").kind !== "root") throw new ProblemError(403, "Forbidden", "Only the root token may do this");
}
