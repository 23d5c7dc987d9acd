// Response headers for every console answer: a strict Content-Security-Policy (scripts and styles only from our
// own origin, never inline, no eval), no framing, no sniffing, and pages never cached (they show live state and,
// once, a new secret).
import type { MiddlewareHandler } from "hono";
import type { ConsoleEnv } from "./context";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const securityHeaders: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set("content-security-policy", CONTENT_SECURITY_POLICY);
  h.set("x-content-type-options", "nosniff");
  h.set("x-frame-options", "DENY");
  h.set("referrer-policy", "same-origin");
  h.set("cross-origin-opener-policy", "same-origin");
  if (!h.has("cache-control")) h.set("cache-control", "no-store");
  const trips = c.get("trips");
  if (trips) h.set("x-d1-round-trips", String(trips()));
};
