import { afterEach, describe, expect, it, vi } from "vitest";
import { devDestinationHosts, headerPrefix, retentionDays, sweepGraceMs, webhooksPerSite } from "../../src/config";
import type { Env } from "../../src/env";

const env = (vars: Partial<Env>) => vars as Env;

afterEach(() => vi.restoreAllMocks());

describe("deployment variables", () => {
  it("DEV_DESTINATION_HOSTS counts only with ALLOW_DEV_DESTINATIONS=1", () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(devDestinationHosts(env({ DEV_DESTINATION_HOSTS: "127.0.0.1,localhost" }))).toEqual([]);
    expect(devDestinationHosts(env({ DEV_DESTINATION_HOSTS: "127.0.0.1", ALLOW_DEV_DESTINATIONS: "0" }))).toEqual([]);
    expect(
      devDestinationHosts(env({ DEV_DESTINATION_HOSTS: "127.0.0.1, localhost", ALLOW_DEV_DESTINATIONS: "1" })),
    ).toEqual(["127.0.0.1", "localhost"]);
    expect(devDestinationHosts(env({ ALLOW_DEV_DESTINATIONS: "1" }))).toEqual([]);
  });

  it("falls back to the defaults on missing or nonsense values", () => {
    expect(headerPrefix(env({}))).toBe("X-SGEN");
    expect(headerPrefix(env({ HEADER_PREFIX: "X-PageGun" }))).toBe("X-PageGun");
    expect(retentionDays(env({ LOG_RETENTION_DAYS: "abc" }))).toBe(30);
    expect(retentionDays(env({ LOG_RETENTION_DAYS: "7" }))).toBe(7);
    expect(sweepGraceMs(env({ SWEEP_GRACE_SECONDS: "" }))).toBe(60_000);
    expect(sweepGraceMs(env({ SWEEP_GRACE_SECONDS: "5" }))).toBe(5_000);
    expect(webhooksPerSite(env({}))).toBe(100);
    expect(webhooksPerSite(env({ WEBHOOKS_PER_SITE: "0" }))).toBe(100);
    expect(webhooksPerSite(env({ WEBHOOKS_PER_SITE: "2.5" }))).toBe(100);
    expect(webhooksPerSite(env({ WEBHOOKS_PER_SITE: "250" }))).toBe(250);
  });
});
