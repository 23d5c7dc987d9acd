// Chat destinations and flow control end to end: wrangler dev, and receivers that behave like Slack's, Discord's and
// Teams' incoming webhooks (test/chat-platforms.ts): they refuse our envelope, take the chat formats, throttle as
// the platforms do. Also: a rate limit measured at the receiver, auto-pause, and operational events reaching a
// Slack channel.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/receiver-lib.mjs";
import { startPlatform, type Arrival, type PlatformReceiver } from "../chat-platforms";
import { createWebhook, setupSite, startEdgehooks, type Edgehooks } from "./harness";

let eh: Edgehooks;
let slack: PlatformReceiver;
let discord: PlatformReceiver;
let teams: PlatformReceiver;
let inspector: Receiver;

beforeAll(async () => {
  [eh, slack, discord, teams, inspector] = await Promise.all([
    startEdgehooks(),
    startPlatform("slack"),
    startPlatform("discord"),
    startPlatform("teams"),
    startReceiver({}),
  ]);
});
afterAll(async () => {
  await Promise.all([eh?.stop(), slack?.close(), discord?.close(), teams?.close(), inspector?.close()]);
});

type Site = Awaited<ReturnType<typeof setupSite>>;

let n = 0;
const post = (title: string, extra: Record<string, unknown> = {}) => {
  const id = ++n;
  return {
    event_type: "post.published",
    event_id: `evt_chat_${Date.now()}_${id}`,
    actor: { id: "user_ada", email: "ada@yoursite.com" },
    target: { type: "post", id, title, url: `https://yoursite.com/blog/post-${id}` },
    ...extra,
  };
};

/** A webhook of a chat format (its defaults: the platform's rate, retry_on server_errors), subscribed. */
async function chatWebhook(
  s: Site,
  format: "slack" | "discord" | "teams",
  url: string,
  opts: { name?: string; events?: string[]; headers?: Record<string, string>; policy?: Record<string, unknown> } = {},
) {
  const made = await eh.api(
    "POST",
    `${s.base}/webhooks`,
    { name: opts.name ?? `${format}-#editorial`, url, format, ...(opts.headers && { headers: opts.headers }) },
    s.ops,
  );
  expect(made.status).toBe(201);
  const id = made.body.id as string;
  expect(
    (await eh.api("PUT", `${s.base}/webhooks/${id}/events`, { events: opts.events ?? ["post.published"] }, s.ops))
      .status,
  ).toBe(200);
  if (opts.policy)
    expect((await eh.api("PUT", `${s.base}/webhooks/${id}/delivery`, opts.policy, s.ops)).status).toBe(200);
  return id;
}

const deliveries = (s: Site, webhookId: string) =>
  eh
    .api("GET", `${s.base}/deliveries?webhook_id=${webhookId}&limit=200`, undefined, s.ops)
    .then((r) => r.body.data as any[]);

const untilAll = (s: Site, webhookId: string, count: number, state = "delivered") =>
  eh.until(
    () => deliveries(s, webhookId),
    (d) => d.length === count && d.every((x) => x.state === state),
    120_000,
  );

const forEvent = (eventId: string) => (a: Arrival) => a.headers["x-sgen-event-id"] === eventId;

describe("the platforms refuse our envelope, as the issue found", () => {
  it("Slack answers 400 no_text, Discord 400, Teams 400 without the Adaptive Card attachment", async () => {
    const envelope = JSON.stringify({
      event_id: "evt_x",
      event_type: "post.published",
      target: { type: "post", id: 1 },
    });
    const send = (url: string) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: envelope }).then(
        async (r) => [r.status, await r.text()],
      );
    expect(await send(slack.url)).toEqual([400, "no_text"]);
    const [status, body] = await send(discord.url);
    expect(status).toBe(400);
    expect(JSON.parse(body as string)).toMatchObject({ code: 50006 });
    expect((await send(teams.url))[0]).toBe(400);
  });
});

describe("Example A: slack-#editorial", () => {
  it("five simultaneous post.published with retry_policy none: all five arrive, at most one 429, each with its title and URL", async () => {
    const s = await setupSite(eh, "editorial");
    const hook = await chatWebhook(s, "slack", `${slack.url}/editorial`, { policy: { retry_policy: "none" } });
    const events = Array.from({ length: 5 }, (_, i) => post(`Spring 2026 update, part ${i + 1}`));
    const sentAt = Date.now();
    const answers = await Promise.all(events.map((e) => eh.api("POST", `${s.base}/events`, e, s.cms)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);

    const mine = (a: Arrival) => a.path === "/slack/editorial";
    await slack.waitFor((a) => mine(a) && a.status === 200, 5);
    const arrived = slack.arrivals.filter(mine);
    expect(arrived.filter((a) => a.status === 429).length).toBeLessThanOrEqual(1);
    for (const e of events) {
      const got = arrived.find((a) => a.status === 200 && a.headers["x-sgen-event-id"] === e.event_id)!;
      expect(got.json.text).toContain(e.target.title);
      expect(got.json.text).toContain(e.target.url);
      expect(got.json.blocks[0].text.text).toBe(`*post.published*: <${e.target.url}|${e.target.title}>`);
      expect(got.headers["x-sgen-signature"]).toBeUndefined();
    }
    const log = await untilAll(s, hook, 5);
    expect(log.every((d) => d.attempts === 1)).toBe(true);
    const first = Math.min(...arrived.filter((a) => a.status === 200).map((a) => a.at));
    console.log(`Example A: first message in the channel ${first - sentAt} ms after the publish`);
  });

  it("a 60,000-character title arrives cut, and every platform accepts it", async () => {
    const s = await setupSite(eh, "longtitle");
    const hooks = {
      slack: await chatWebhook(s, "slack", `${slack.url}/long`),
      discord: await chatWebhook(s, "discord", `${discord.url}/long`),
      teams: await chatWebhook(s, "teams", `${teams.url}/long`),
    };
    const e = post("A".repeat(60_000));
    expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);

    const [toSlack] = await slack.waitFor(forEvent(e.event_id));
    const [toDiscord] = await discord.waitFor(forEvent(e.event_id));
    const [toTeams] = await teams.waitFor(forEvent(e.event_id));
    expect([toSlack!.status, toDiscord!.status, toTeams!.status]).toEqual([200, 204, 202]);
    expect(toSlack!.json.text.length).toBeLessThanOrEqual(40_000);
    expect(toSlack!.json.text.endsWith("…>")).toBe(true);
    expect(toSlack!.json.text).toContain(e.target.url);
    expect(toDiscord!.json.embeds[0].title).toHaveLength(256);
    expect(toTeams!.raw.length).toBeLessThanOrEqual(28_000);
    for (const id of Object.values(hooks)) await untilAll(s, id, 1);
    // The log shows the body that was sent, byte for byte.
    const [row] = await deliveries(s, hooks.slack);
    const detail = (await eh.api("GET", `${s.base}/deliveries/${row.id}`, undefined, s.ops)).body;
    expect(detail.attempts_detail[0].request.body).toBe(toSlack!.raw);
  });
});

describe("Example E: a maintenance window broadcast to three team channels", () => {
  it("each channel gets both messages, with its routing header, and the log shows them delivered", async () => {
    const s = await setupSite(eh, "agency");
    const events = ["site.entered_maintenance", "site.left_maintenance"];
    const channels = [
      { format: "slack" as const, rx: slack, topic: "ops" },
      { format: "discord" as const, rx: discord, topic: "design" },
      { format: "teams" as const, rx: teams, topic: "content" },
    ];
    const hooks: string[] = [];
    for (const c of channels) {
      hooks.push(
        await chatWebhook(s, c.format, `${c.rx.url}/maintenance`, {
          name: `${c.format}-#${c.topic}`,
          events,
          headers: { "X-Channel-Topic": c.topic },
        }),
      );
    }
    const template = "{{site.host}}: {{event_type}} ({{target.type}} {{target.id}})";
    for (const id of hooks)
      expect((await eh.api("PATCH", `${s.base}/webhooks/${id}`, { message_template: template }, s.ops)).status).toBe(
        200,
      );

    const sent = [];
    for (const type of events) {
      const e = { ...post("Maintenance window"), event_type: type, target: { type: "site", id: "agency" } };
      expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);
      sent.push(e);
    }
    for (const c of channels) {
      const got = await c.rx.waitFor((a) => a.path.endsWith("/maintenance") && a.status < 300, 2);
      expect(got.map((a) => a.headers["x-channel-topic"])).toEqual([c.topic, c.topic]);
      expect(got.map((a) => a.headers["x-sgen-event"])).toEqual(events);
    }
    const toSlack = slack.accepted().filter((a) => a.path === "/slack/maintenance");
    expect(toSlack.map((a) => a.json.text)).toEqual(events.map((t) => `agency.example.com: ${t} (site agency)`));
    for (const id of hooks) await untilAll(s, id, 2);
  });
});

describe("a throttle is not a failure", () => {
  it("a Discord 429 with retry_after 0.4: delivered, with its attempts unspent, the throttle in the log", async () => {
    const s = await setupSite(eh, "throttled");
    const hook = await chatWebhook(s, "discord", `${discord.url}/throttled`, { policy: { retry_policy: "none" } });
    discord.throttleNext(1, 0.4);
    const e = post("Throttled, then delivered");
    expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);

    const [throttled, taken] = await discord.waitFor(forEvent(e.event_id), 2);
    expect([throttled!.status, taken!.status]).toEqual([429, 204]);
    expect(taken!.at - throttled!.at).toBeGreaterThanOrEqual(400);
    expect([throttled!.headers["x-sgen-delivery-attempt"], taken!.headers["x-sgen-delivery-attempt"]]).toEqual([
      "1",
      "2",
    ]);
    const [row] = await untilAll(s, hook, 1);
    expect(row).toMatchObject({ state: "delivered", attempts: 1, throttles: 1, response_status: 204 });
    const detail = (await eh.api("GET", `${s.base}/deliveries/${row.id}`, undefined, s.ops)).body;
    expect(detail.attempts_detail.map((a: any) => [a.n, a.response?.status, a.error, a.throttle])).toEqual([
      [1, 429, "throttled", { wait_ms: 400 }],
      [2, 204, null, null],
    ]);
    const stats = (await eh.api("GET", `${s.base}/webhooks/${hook}/stats`, undefined, s.ops)).body;
    expect(stats.requests).toEqual({ attempts: 1, failed: 0, throttled: 1 });
    expect(stats.success_rate).toBe(1);
  });
});

describe("rate_limit_per_s", () => {
  it("2 per second holds over 20 events, measured at the receiver: never more than 2 in any 1-second window", async () => {
    const s = await setupSite(eh, "paced");
    const hook = await createWebhook(eh, s, { url: `${inspector.url}/paced` });
    expect((await eh.api("PUT", `${s.base}/webhooks/${hook}/delivery`, { rate_limit_per_s: 2 }, s.ops)).status).toBe(
      200,
    );
    const events = Array.from({ length: 20 }, (_, i) => post(`Paced ${i}`, { target: { type: "post", id: 900 + i } }));
    expect((await eh.api("POST", `${s.base}/events/batch`, { events }, s.cms)).status).toBe(202);

    const ids = new Set(events.map((e) => e.event_id));
    const mine = (r: any) => ids.has(r.json?.event_id);
    await inspector.waitFor((r: any) => mine(r) && inspector.received.filter(mine).length === 20, 120_000);
    const times = inspector.received
      .filter(mine)
      .map((r: any) => r.receivedAt as number)
      .sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const sorted = [...gaps].sort((a, b) => a - b);
    console.log(
      `rate_limit_per_s 2, 20 events: spacing at the receiver min ${sorted[0]} ms, median ${sorted[9]} ms, ` +
        `max ${sorted[sorted.length - 1]} ms; first to last ${times[19]! - times[0]!} ms`,
    );
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(2);
    await untilAll(s, hook, 20);
  });
});

describe("auto_pause", () => {
  it("trips on a continue-mode webhook at 50% over 10 attempts; held deliveries go out after resume, in order per target", async () => {
    const s = await setupSite(eh, "autopause");
    const hook = await createWebhook(eh, s, { url: `${inspector.url}/autopause`, retry_policy: "none" });
    const rule = { failure_rate: 0.5, min_attempts: 10, window_s: 300 };
    expect((await eh.api("PUT", `${s.base}/webhooks/${hook}/delivery`, { auto_pause: rule }, s.ops)).status).toBe(200);

    // Ten events on two targets; every other one fails (a 500 from the receiver for its event id).
    const first = Array.from({ length: 10 }, (_, i) =>
      post(`First ${i}`, { target: { type: "post", id: 100 + (i % 2) } }),
    );
    inspector.setBehaviour({ failEvents: first.filter((_, i) => i % 2 === 0).map((e) => e.event_id), failStatus: 500 });
    for (const e of first) expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);

    const paused = await eh.until(
      () => eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops),
      (r) => r.body.status === "paused",
    );
    expect(paused.body.alert.kind).toBe("auto_paused");
    expect(paused.body.alert.message).toContain("5 of 10 attempts (50%) failed in the last 5 min");

    // While paused, new deliveries are held, never dropped.
    const later = Array.from({ length: 6 }, (_, i) =>
      post(`Later ${i}`, { target: { type: "post", id: 200 + (i % 2) } }),
    );
    for (const e of later) expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);
    await eh.until(
      () => deliveries(s, hook),
      (d) => d.filter((x) => x.state === "held").length === 6,
    );
    inspector.setBehaviour({});
    const resumed = await eh.api("POST", `${s.base}/webhooks/${hook}/resume`, {}, s.ops);
    expect(resumed.body.status).toBe("active");
    expect((await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body.alert).toBeNull();

    const laterIds = later.map((e) => e.event_id);
    const arrived = await inspector.waitFor(
      () => inspector.received.filter((r: any) => laterIds.includes(r.json?.event_id)).length === 6,
      120_000,
    );
    expect(arrived).toBeTruthy();
    for (const target of [200, 201]) {
      const sent = later.filter((e) => e.target.id === target).map((e) => e.event_id);
      const got = inspector.received
        .filter((r: any) => sent.includes(r.json?.event_id))
        .map((r: any) => r.json.event_id);
      expect(got).toEqual(sent);
    }
    const log = await deliveries(s, hook);
    expect(log.filter((d) => laterIds.includes(d.event_id)).every((d) => d.state === "delivered")).toBe(true);
  });
});

describe("operational events reach a Slack channel", () => {
  it("a Slack webhook subscribed to webhook.paused gets a message when another webhook pauses, and none about itself", async () => {
    const s = await setupSite(eh, "ops");
    const ops = await chatWebhook(s, "slack", `${slack.url}/ops`, {
      name: "slack-#ops",
      events: ["webhook.paused", "post.published"],
      policy: { failure_mode: "pause", retry_policy: "none" },
    });
    const audit = await createWebhook(eh, s, { url: `${inspector.url}/audit`, events: ["webhook.paused"] });
    const crm = await createWebhook(eh, s, {
      url: `${inspector.url}/crm`,
      events: ["form.submitted"],
      failure_mode: "pause",
      retry_policy: "none",
    });
    const renamed = await eh.api("PATCH", `${s.base}/webhooks/${crm}`, { name: "crm-contact-mirror" }, s.ops);
    expect(renamed.status).toBe(200);

    // The CRM fails for good: its webhook pauses, and the Slack channel hears of it.
    const form = { ...post("A contact"), event_type: "form.submitted" };
    inspector.setBehaviour({ failEvents: [form.event_id], failStatus: 503 });
    expect((await eh.api("POST", `${s.base}/events`, form, s.cms)).status).toBe(202);
    const [message] = await slack.waitFor((a) => a.path === "/slack/ops" && a.status === 200);
    expect(message!.headers["x-sgen-event"]).toBe("webhook.paused");
    expect(message!.json.text).toContain("crm-contact-mirror");
    expect(message!.json.text).toContain("failed after 1 attempt");
    inspector.setBehaviour({});

    // Now the Slack channel's own webhook fails and pauses: the event about it goes to the other subscriber only.
    slack.failNext(1, 500);
    const e = post("The ops channel is down");
    expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);
    const aboutOps = await inspector.waitFor(
      (r: any) => r.json?.event_type === "webhook.paused" && r.json?.target?.id === ops,
    );
    expect(aboutOps.url).toBe("/hook/audit");
    expect((await eh.api("GET", `${s.base}/webhooks/${ops}`, undefined, s.ops)).body.status).toBe("paused");
    const opsLog = await deliveries(s, ops);
    const pausedEvents = opsLog.filter((d) => d.event_type === "webhook.paused");
    expect(pausedEvents).toHaveLength(1);
    const body = (await eh.api("GET", `${s.base}/deliveries/${pausedEvents[0].id}`, undefined, s.ops)).body;
    expect(body.attempts_detail[0].request.body).toContain("crm-contact-mirror");
    expect(slack.arrivals.filter((a) => a.path === "/slack/ops" && a.raw.includes(ops))).toEqual([]);
    const auditLog = await deliveries(s, audit);
    expect(auditLog.map((d) => d.event_type)).toEqual(["webhook.paused", "webhook.paused"]);
  });
});
