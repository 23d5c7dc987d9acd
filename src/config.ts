// The deployment variables (wrangler.toml [vars] and secrets), read in one place with their defaults.
import type { Env } from "./env";
import { parseDevHosts } from "./domain/ssrf";
import { autoDisableDays as daysOf } from "./domain/flow-control";
import type { Keyring } from "./domain/sealed";
import { log } from "./log";

/** The header prefix of a delivery's own headers: X-SGEN unless the deployment sets HEADER_PREFIX. */
export function headerPrefix(env: Env): string {
  return env.HEADER_PREFIX || "X-SGEN";
}

let warnedDevHosts = false;

/**
 * Hosts exempt from the https-only and public-address rules. DEV_DESTINATION_HOSTS counts only when the deployment
 * also sets ALLOW_DEV_DESTINATIONS=1 (as `npm run dev` does), so a stray value in production changes nothing; when
 * both are set, the first use in each isolate logs a warning.
 */
export function devDestinationHosts(env: Env): string[] {
  const hosts = parseDevHosts(env.DEV_DESTINATION_HOSTS);
  if (!hosts.length) return [];
  if (env.ALLOW_DEV_DESTINATIONS !== "1") {
    if (!warnedDevHosts) {
      warnedDevHosts = true;
      log("warn", "DEV_DESTINATION_HOSTS is ignored: ALLOW_DEV_DESTINATIONS is not 1", { hosts });
    }
    return [];
  }
  if (!warnedDevHosts) {
    warnedDevHosts = true;
    log("warn", "DEV_DESTINATION_HOSTS is set: these hosts skip the SSRF rules (never in production)", { hosts });
  }
  return hosts;
}

/**
 * ENCRYPTION_KEY seals and signs; ENCRYPTION_KEY_PREVIOUS, set only during a rotation, is still read (stored values,
 * export links, console sessions) until the re-encryption pass has moved everything to the new key.
 */
export function encryptionKeyring(env: Env): Keyring {
  const previous = env.ENCRYPTION_KEY_PREVIOUS?.trim();
  return { current: env.ENCRYPTION_KEY, previous: previous && previous !== env.ENCRYPTION_KEY ? previous : null };
}

/** LOG_RETENTION_DAYS, default 30. */
export function retentionDays(env: Env): number {
  const days = Number(env.LOG_RETENTION_DAYS || "30");
  return Number.isFinite(days) && days > 0 ? days : 30;
}

/** The most live webhooks a site may have: WEBHOOKS_PER_SITE, default 100 (not a positive whole number means 100). */
export function webhooksPerSite(env: Env): number {
  const n = Number(env.WEBHOOKS_PER_SITE || "100");
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** How long past its due time a delivery may sit before the sweeper re-drives it: SWEEP_GRACE_SECONDS, default 60. */
export function sweepGraceMs(env: Env): number {
  const s = Number(env.SWEEP_GRACE_SECONDS || "60");
  return (Number.isFinite(s) && s >= 0 ? s : 60) * 1000;
}

/** How many days of nothing but failed attempts disable a webhook: AUTO_DISABLE_DAYS, default 5. */
export function autoDisableDays(env: Env): number {
  return daysOf(env.AUTO_DISABLE_DAYS);
}
