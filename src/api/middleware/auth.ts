// Bearer auth: the deployment's ADMIN_TOKEN (root), or a site key looked up by the SHA-256 of its token.
// Revocation is immediate: nothing is cached.
import type { Context, MiddlewareHandler } from "hono";
import { findActiveKeyByHash } from "../../db/api-keys";
import { findSite } from "../../db/sites";
import { sha256Hex, timingSafeEqual } from "../../domain/crypto";
import { ProblemError } from "../problem";
import type { AppEnv, Auth, Role } from "../router";

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new ProblemError(401, "Unauthorized", "Send Authorization: Bearer <token>");
  const token = match[1]!;
  const hash = await sha256Hex(token);
  if (c.env.ADMIN_TOKEN && timingSafeEqual(hash, await sha256Hex(c.env.ADMIN_TOKEN))) {
    c.set("auth", { kind: "root" });
    return next();
  }
  const key = await findActiveKeyByHash(c.env.DB, hash);
  if (!key || !timingSafeEqual(key.tokenHash, hash)) {
    throw new ProblemError(401, "Unauthorized", "The token is unknown or revoked");
  }
  c.set("auth", { kind: "key", keyId: key.id, siteId: key.siteId, role: key.role, name: key.name });
  return next();
};

/** A site key reaches its own site only: any other site is a 404, exactly as if it did not exist. */
export const ownSiteOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = c.get("auth");
  if (auth.kind === "key" && auth.siteId !== c.req.param("site")) {
    throw new ProblemError(404, "Not found", "Site not found");
  }
  return next();
};

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
  const site = await findSite(c.env.DB, siteId);
  if (!site) throw new ProblemError(404, "Not found", "Site not found");
  return site;
}

/** The role and site checks of requireSite, without loading the site (the caller loads it with its own batch). */
export function requireAccess(c: Context<AppEnv>, siteId: string, need: Capability) {
  const auth: Auth = c.get("auth");
  if (auth.kind === "key") {
    if (auth.siteId !== siteId) throw new ProblemError(404, "Not found", "Site not found");
    if (!GRANTS[auth.role].includes(need)) {
      throw new ProblemError(403, "Forbidden", `A key with role ${auth.role} cannot ${need} here`);
    }
  }
}

export function requireRoot(c: Context<AppEnv>) {
  if (c.get("auth").kind !== "root") throw new ProblemError(403, "Forbidden", "Only the root token may do this");
}
