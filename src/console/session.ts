// Signing in and the session. The token an operator types is checked once, here, and never stored in the browser:
// the session cookie (HttpOnly, SameSite=Strict, Secure except on localhost, 12 h) only says who signed in and is
// signed with a subkey derived from ENCRYPTION_KEY (during a key rotation, one signed under ENCRYPTION_KEY_PREVIOUS
// is still accepted). Every request re-reads the key it names, so a revoked key's
// session ends at once; a root session ends when ADMIN_TOKEN changes. Every form carries a CSRF token bound to the
// session, and every post is refused without it.
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { findKey } from "../db/api-keys";
import { findSite } from "../db/sites";
import { databaseFor } from "../db/route";
import { derivedHmacKey } from "../domain/key-derivation";
import {
  SESSION_TTL_MS,
  SIGN_IN_TTL_MS,
  csrfToken,
  csrfTokenIsValid,
  openNonce,
  openSessionUnder,
  randomSid,
  sealNonce,
  sealSession,
  type Session,
} from "../domain/console-session";
import { timingSafeEqual, toHex } from "../domain/crypto";
import { access, type Capability } from "../api/middleware/auth";
import { encryptionKeyring } from "../config";
import type { Auth } from "../api/router";
import { countRoundTrips } from "../metrics";
import { BASE, type ConsoleEnv } from "./context";
import { renderError } from "./pages/errors";

const SESSION_COOKIE = "eh_console";
const SIGN_IN_COOKIE = "eh_console_sign_in";

const sessionKey = (c: Context<ConsoleEnv>) => derivedHmacKey(c.env.ENCRYPTION_KEY, "console-session-v1");

/** Secure everywhere but on a loopback host, where `wrangler dev` serves plain http. */
function isLocalhost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host.endsWith(".localhost") || host === "127.0.0.1" || host === "[::1]";
}

function cookieOptions(c: Context<ConsoleEnv>, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: !isLocalhost(c.req.url),
    path: BASE,
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** Binds a root session to the ADMIN_TOKEN it was opened with, without putting the token (or its hash) in it. */
async function rootFingerprint(c: Context<ConsoleEnv>, key: CryptoKey): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`root.${c.env.ADMIN_TOKEN}`));
  return toHex(mac).slice(0, 32);
}

/** Measures D1 round trips per request when BENCH_METRICS is on (shown as x-d1-round-trips). */
export const countTrips: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (c.env.BENCH_METRICS === "1") {
    const counted = countRoundTrips(c.env);
    c.env = counted.env;
    c.set("trips", counted.trips);
  }
  return next();
};

// ---- Sign in ------------------------------------------------------------------------------------------------

/** A fresh sign-in nonce in its own short cookie, and the CSRF token its form carries. */
export async function startSignIn(c: Context<ConsoleEnv>): Promise<string> {
  const key = await sessionKey(c);
  const nonce = randomSid();
  setCookie(
    c,
    SIGN_IN_COOKIE,
    await sealNonce(key, nonce, Date.now() + SIGN_IN_TTL_MS),
    cookieOptions(c, SIGN_IN_TTL_MS),
  );
  return csrfToken(key, `sign-in.${nonce}`);
}

export async function signInFormIsGenuine(c: Context<ConsoleEnv>, given: unknown): Promise<boolean> {
  const key = await sessionKey(c);
  const nonce = await openNonce(key, getCookie(c, SIGN_IN_COOKIE), Date.now());
  return nonce !== null && csrfTokenIsValid(key, `sign-in.${nonce}`, given);
}

/** Opens a session for who the token turned out to be. */
export async function openConsoleSession(c: Context<ConsoleEnv>, auth: Auth): Promise<void> {
  const session: Session =
    auth.kind === "root"
      ? {
          sub: "root",
          site: null,
          sid: randomSid(),
          fp: await rootFingerprint(c, await sessionKey(c)),
          exp: Date.now() + SESSION_TTL_MS,
        }
      : { sub: auth.keyId, site: auth.siteId, sid: randomSid(), exp: Date.now() + SESSION_TTL_MS };
  deleteCookie(c, SIGN_IN_COOKIE, { path: BASE });
  setCookie(c, SESSION_COOKIE, await sealSession(await sessionKey(c), session), cookieOptions(c, SESSION_TTL_MS));
}

export function endConsoleSession(c: Context<ConsoleEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: BASE, secure: !isLocalhost(c.req.url) });
}

// ---- Every signed-in request --------------------------------------------------------------------------------

/** Who the session's key is now, or null when the session has ended (expired, revoked, token changed). */
async function currentAuth(c: Context<ConsoleEnv>, session: Session, signedWith: CryptoKey): Promise<Auth | null> {
  if (session.sub === "root") {
    return session.fp && c.env.ADMIN_TOKEN && timingSafeEqual(session.fp, await rootFingerprint(c, signedWith))
      ? { kind: "root" }
      : null;
  }
  if (!session.site) return null;
  const key = await findKey(databaseFor(c.env, session.site), session.site, session.sub);
  if (!key || key.revokedAt !== null || key.role === "ingest") return null;
  return { kind: "key", keyId: key.id, siteId: key.siteId, role: key.role, name: key.name };
}

function toSignIn(c: Context<ConsoleEnv>, reason: "ended" | "required") {
  endConsoleSession(c);
  const target = `${BASE}/sign-in?reason=${reason}`;
  // htmx follows a redirect inside the page; HX-Redirect makes it a full navigation instead.
  if (c.req.header("hx-request")) return c.body(null, 401, { "hx-redirect": target });
  if (c.req.method !== "GET") return renderError(c, 401, "Your session has ended. Sign in again.");
  return c.redirect(target, 303);
}

export const requireSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const raw = getCookie(c, SESSION_COOKIE);
  const { current, previous } = encryptionKeyring(c.env);
  const opened = await openSessionUnder(previous ? [current, previous] : [current], raw, Date.now());
  if (!opened) return toSignIn(c, raw ? "ended" : "required");
  const { session, key } = opened;
  const auth = await currentAuth(c, session, key);
  if (!auth) return toSignIn(c, "ended");
  c.set("session", session);
  c.set("auth", auth);
  c.set("csrf", await csrfToken(key, session.sid));
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const origin = c.req.header("origin");
    if (origin && origin !== new URL(c.req.url).origin) return renderError(c, 403, "This form came from another site.");
    // Parsed once per request and cached by Hono; `all` keeps repeated names (the Events checkboxes) as arrays.
    const body = await c.req.parseBody({ all: true });
    if (!(await csrfTokenIsValid(key, session.sid, body._csrf))) {
      return renderError(
        c,
        403,
        "The form is missing its security token or it is out of date. Reload the page and try again.",
      );
    }
  }
  return next();
};

/**
 * The site of the path, checked against the signed-in key with the API's own rule: another site is a 404, the
 * wrong role a 403. For root, the site must exist (a key's site always does).
 */
export function requireSite(need: Capability): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const site = c.req.param("site") ?? "";
    const verdict = access(c.get("auth"), site, need);
    if (verdict === "not_found") return renderError(c, 404, "There is no such site.");
    if (verdict === "forbidden")
      return renderError(c, 403, "Your key may only read this site: it cannot change anything.");
    if (c.get("auth").kind === "root" && !(await findSite(databaseFor(c.env, site), site))) {
      return renderError(c, 404, "There is no such site.");
    }
    return next();
  };
}

/** Whether the signed-in key may change things on this site (the console shows mutating controls only then). */
export function canManage(c: Context<ConsoleEnv>, site: string): boolean {
  return access(c.get("auth"), site, "manage") === "ok";
}
