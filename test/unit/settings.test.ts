// Settings as code, the pure part: what an entry asks for (with its format's defaults), how it compares with a
// webhook the site has, and the plan.
import { describe, expect, it } from "vitest";
import {
  changedFields,
  desiredWebhook,
  nameFromUrl,
  planSettings,
  repeatedUrls,
  settingsDocumentSchema,
  settingsEntryOf,
  type CurrentWebhook,
  type DesiredWebhook,
  type SettingsEntry,
} from "../../src/domain/settings";

const desired = (entry: SettingsEntry, current?: CurrentWebhook): DesiredWebhook => {
  const made = desiredWebhook(entry, current);
  if ("errors" in made) throw new Error(JSON.stringify(made.errors));
  return made.desired;
};

let ids = 0;
const existing = (entry: SettingsEntry, over: Partial<CurrentWebhook> = {}): CurrentWebhook => ({
  ...desired(entry),
  id: `wh_${++ids}`,
  status: "active",
  secret: entry.secret ?? null,
  ...over,
});

const SEED = {
  url: "https://your-server.com/webhooks/pagegun",
  events: ["page.published", "page.updated", "page.deleted"],
  secret: "your_webhook_secret_here",
};

describe("an entry of the document", () => {
  it("takes every default it leaves out, and its name from its url", () => {
    expect(desired(SEED)).toEqual({
      url: SEED.url,
      name: "your-server.com/webhooks/pagegun",
      description: null,
      format: "sgen",
      events: SEED.events,
      includeDetail: false,
      timeoutMs: 10_000,
      retryPolicy: { name: "default", delays_s: [30, 120, 600, 3600, 21600] },
      retryOn: "any",
      failureMode: "continue",
      messageTemplate: null,
      rateLimitPerS: null,
      autoPause: null,
      headers: {},
      secret: SEED.secret,
    });
    expect(nameFromUrl("https://hooks.example.com")).toBe("hooks.example.com");
  });

  it("takes its format's defaults: a pagegun entry gets PageGun's guarantees", () => {
    expect(desired({ ...SEED, format: "pagegun" })).toMatchObject({
      format: "pagegun",
      includeDetail: true,
      timeoutMs: 30_000,
      retryPolicy: { name: "custom", delays_s: [60, 300, 1500] },
      retryOn: "server_errors",
    });
    expect(desired({ ...SEED, format: "pagegun", timeout_ms: 5000, retry_on: "any" })).toMatchObject({
      timeoutMs: 5000,
      retryOn: "any",
    });
  });

  it("takes the chat formats' rate and flow-control fields: left out is the default, null is none", () => {
    const slack = {
      url: "https://hooks.slack.com/services/T/B/x",
      events: ["post.published"],
      format: "slack" as const,
    };
    expect(desired(slack)).toMatchObject({ rateLimitPerS: 1, retryOn: "server_errors", autoPause: null });
    expect(desired({ ...slack, rate_limit_per_s: null })).toMatchObject({ rateLimitPerS: null });
    const rule = { failure_rate: 0.5, min_attempts: 10, window_s: 300 };
    expect(
      desired({ ...slack, rate_limit_per_s: 2, auto_pause: rule, message_template: "{{target.title}}" }),
    ).toMatchObject({ rateLimitPerS: 2, autoPause: rule, messageTemplate: "{{target.title}}" });
    for (const bad of [
      { rate_limit_per_s: 0 },
      { auto_pause: { ...rule, window_s: 1 } },
      { message_template: "{{x}}" },
    ])
      expect(settingsDocumentSchema.safeParse({ webhooks: [{ ...slack, ...bad }] }).success).toBe(false);
  });

  it("keeps a header's current value when the entry gives it as null, and says so when there is none", () => {
    const current = existing({ ...SEED, headers: { "X-Route": "seo-secret-value" } });
    expect(desired({ ...SEED, headers: { "X-Route": null, "X-New": "v" } }, current).headers).toEqual({
      "X-Route": "seo-secret-value",
      "X-New": "v",
    });
    expect(desiredWebhook({ ...SEED, headers: { "X-Other": null } }, current)).toEqual({
      errors: [{ path: "headers.X-Other", message: "null keeps the current value, and there is none" }],
    });
  });

  it("is keyed by its url: a url listed twice is an error on the later entry", () => {
    expect(repeatedUrls([{ url: "https://a" }, { url: "https://b" }, { url: "https://a" }])).toEqual([
      { index: 2, error: { path: "url", message: "is listed already, as webhooks[0]" } },
    ]);
  });

  it("accepts the PageGun document's bodies as they stand", () => {
    expect(settingsDocumentSchema.safeParse({ webhooks: [SEED] }).success).toBe(true);
    expect(
      settingsDocumentSchema.safeParse({
        webhooks: [
          {
            url: "https://api.yourapp.com/webhooks/pagegun/social",
            events: ["page.published"],
            secret: "social_webhook_secret",
          },
          {
            url: "https://api.yourapp.com/webhooks/pagegun/seo",
            events: ["page.published", "page.updated", "page.deleted"],
            secret: "seo_webhook_secret",
          },
          {
            url: "https://backup.yourapp.com/webhooks/pagegun",
            events: ["page.created", "page.updated", "page.deleted"],
            secret: "backup_webhook_secret",
          },
        ],
      }).success,
    ).toBe(true);
  });
});

describe("comparing and planning", () => {
  it("finds nothing changed in the same entry, events in another order included", () => {
    const current = existing(SEED);
    expect(changedFields(current, desired({ ...SEED, events: [...SEED.events].reverse() }))).toEqual([]);
    // Left out, the secret stays as it is.
    expect(changedFields(current, desired({ url: SEED.url, events: SEED.events }))).toEqual([]);
  });

  it("names each changed field, the secret included (compared, never shown)", () => {
    const current = existing(SEED);
    const next = desired({
      ...SEED,
      events: ["page.published"],
      secret: "another_secret_value",
      timeout_ms: 5000,
      headers: { "X-Team": "seo" },
      retry_policy: "aggressive",
    });
    expect(changedFields(current, next)).toEqual(["events", "timeout_ms", "retry_policy", "headers", "secret"]);
    expect(changedFields(current, desired({ ...SEED, secret: null }))).toEqual(["secret"]);
    // Back to the defaults: a field left out is not "keep".
    const tuned = existing({ ...SEED, timeout_ms: 5000, failure_mode: "pause" });
    expect(changedFields(tuned, desired(SEED))).toEqual(["timeout_ms", "failure_mode"]);
  });

  it("names a changed template, rate limit or auto-pause rule", () => {
    const entry = { ...SEED, format: "slack" as const };
    const current = existing(entry);
    expect(changedFields(current, desired(entry))).toEqual([]);
    const rule = { failure_rate: 0.5, min_attempts: 10, window_s: 300 };
    expect(
      changedFields(
        current,
        desired({ ...entry, message_template: "{{target.url}}", rate_limit_per_s: 3, auto_pause: rule }),
      ),
    ).toEqual(["message_template", "rate_limit_per_s", "auto_pause"]);
    const paused = existing({ ...entry, auto_pause: rule });
    expect(changedFields(paused, desired({ ...entry, auto_pause: { ...rule } }))).toEqual([]);
    expect(changedFields(paused, desired({ ...entry, auto_pause: { ...rule, window_s: 600 } }))).toEqual([
      "auto_pause",
    ]);
  });

  it("creates, updates, deletes and leaves alone, keyed by url; a second webhook at a listed url goes", () => {
    const keep = existing({ url: "https://k.example/x", events: ["post.published"] });
    const change = existing({ url: "https://c.example/x", events: ["post.published"] });
    const drop = existing({ url: "https://d.example/x", events: ["post.published"] });
    const twin = existing({ url: "https://k.example/x", events: ["order.paid"] });
    const plan = planSettings(
      [keep, change, drop, twin],
      [
        desired({ url: "https://k.example/x", events: ["post.published"] }),
        desired({ url: "https://c.example/x", events: ["post.updated"] }),
        desired({ url: "https://n.example/x", events: [] }),
      ],
    );
    expect(plan.create.map((d) => d.url)).toEqual(["https://n.example/x"]);
    expect(plan.update.map((u) => [u.current.id, u.fields])).toEqual([[change.id, ["events"]]]);
    expect(plan.unchanged.map((w) => w.id)).toEqual([keep.id]);
    expect(plan.delete.map((w) => w.id)).toEqual([drop.id, twin.id]);
  });

  it("reads back as a document that plans no change", () => {
    const current = existing({ ...SEED, format: "pagegun", headers: { "X-Team": "value" } });
    const read = settingsEntryOf({ ...current, headerNames: Object.keys(current.headers) });
    expect(read.headers).toEqual({ "X-Team": null });
    expect("secret" in read).toBe(false);
    expect(settingsDocumentSchema.safeParse({ webhooks: [read] }).success).toBe(true);
    const plan = planSettings([current], [desired(read, current)]);
    expect(plan.unchanged.map((w) => w.id)).toEqual([current.id]);
  });
});
