// What a viewer may not read. A chat webhook's URL carries its credential in the path (Slack, Discord, Zapier), and
// a signature next to its body and `t` can be replayed or used to guess the secret offline. A viewer sees neither,
// through any route or console page; an integrations-admin key sees both.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { api, createKey, createSite, json } from "../helpers";
import { insertDelivery, runConsumer, type HookRow } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";
import { consoleSignIn } from "../console-client";

const PATH = "/services/T0SECRET/B0SECRET/XXXXSECRETXXXX";
const URL_WITH_CREDENTIALS = `http://127.0.0.1:9${PATH}?token=querysecret`;
const SECRET_PARTS = ["T0SECRET", "B0SECRET", "XXXXSECRETXXXX", "querysecret"];

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

interface World {
  site: { id: string; slug: string; host: string };
  base: string;
  admin: string;
  viewer: string;
  chat: { id: string; delivery: string };
  pagegun: { id: string; delivery: string };
  /** The signature header values the receiver got. */
  signatures: string[];
}
let w: World;

async function hookWithDelivery(
  site: World["site"],
  admin: string,
  body: Record<string, unknown>,
  answer: () => Response,
) {
  const base = `/v1/sites/${site.id}`;
  const created = await json(api("POST", `${base}/webhooks`, body, admin));
  await api("PUT", `${base}/webhooks/${created.id}/events`, { events: ["post.published"] }, admin);
  const hook: HookRow = {
    id: created.id,
    site_id: site.id,
    url: body.url as string,
    status: "active",
    failure_mode: "continue",
    delays: [5],
    retry_on: "any",
    format: (body.format as HookRow["format"]) ?? "sgen",
  };
  const d = await insertDelivery(site, hook);
  receiver.set(answer);
  await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
  return { id: created.id as string, delivery: d.deliveryId };
}

beforeAll(async () => {
  const site = await createSite();
  const admin = (await createKey(site.id, "integrations-admin")).token;
  const viewer = (await createKey(site.id, "viewer")).token;
  receiver = spyReceiver();
  // The receiver is gone (410, so an alert names the URL) and its error page echoes the path it was asked for.
  const chat = await hookWithDelivery(
    site,
    admin,
    { name: "slack-#editorial", url: URL_WITH_CREDENTIALS, secret: `whsec_${btoa("k".repeat(32))}` },
    () => new Response(`Cannot POST ${PATH}`, { status: 410 }),
  );
  const pagegun = await hookWithDelivery(
    site,
    admin,
    { name: "pg", url: "http://127.0.0.1:9/pg", secret: "pagegun-secret-value-1234", format: "pagegun" },
    () => new Response("ok"),
  );
  const signatures = receiver.calls.flatMap((c) =>
    Object.entries(c.headers)
      .filter(([k]) => k.endsWith("signature"))
      .map(([, v]) => v),
  );
  expect(signatures.length).toBe(3); // X-SGEN-Signature and webhook-signature, X-PageGun-Signature
  vi.restoreAllMocks();
  w = { site, base: `/v1/sites/${site.id}`, admin, viewer, chat, pagegun, signatures };
});

const VIEWER_READS = () => [
  `${w.base}/webhooks`,
  `${w.base}/webhooks/${w.chat.id}`,
  `${w.base}/settings`,
  `${w.base}/deliveries/${w.chat.delivery}`,
  `${w.base}/deliveries/${w.pagegun.delivery}`,
  `${w.base}/audit-log`,
];

function expectNothingSecretIn(text: string, where: string) {
  for (const part of SECRET_PARTS) expect(text, `${where} shows ${part}`).not.toContain(part);
  for (const signature of w.signatures) expect(text, `${where} shows a signature`).not.toContain(signature);
}

describe("a viewer", () => {
  it("sees a destination URL's scheme and host only, in the index, the webhook, settings, the attempt log, the audit log and alerts", async () => {
    for (const path of VIEWER_READS()) {
      const res = await api("GET", path, undefined, w.viewer);
      expect(res.status, path).toBe(200);
      expectNothingSecretIn(await res.text(), path);
    }
    const hook = await json(api("GET", `${w.base}/webhooks/${w.chat.id}`, undefined, w.viewer));
    expect(hook.url).toBe("http://127.0.0.1:9/********");
    expect(hook.alert).toMatchObject({ kind: "endpoint_gone" });
    expect(hook.alert.message).toContain("http://127.0.0.1:9/******** answered 410");
    const [attempt] = (await json(api("GET", `${w.base}/deliveries/${w.chat.delivery}`, undefined, w.viewer)))
      .attempts_detail;
    expect(attempt.request.url).toBe("http://127.0.0.1:9/********");
    expect(attempt.response.body).toBe("Cannot POST /********");
  });

  it("never sees a signature in the attempt log: P-Signature, webhook-signature and X-PageGun-Signature are masked", async () => {
    const chat = await json(api("GET", `${w.base}/deliveries/${w.chat.delivery}`, undefined, w.viewer));
    const pagegun = await json(api("GET", `${w.base}/deliveries/${w.pagegun.delivery}`, undefined, w.viewer));
    expect(chat.attempts_detail[0].request.headers).toMatchObject({
      "X-SGEN-Signature": "********",
      "webhook-signature": "********",
      "webhook-timestamp": expect.stringMatching(/^\d+$/),
    });
    expect(pagegun.attempts_detail[0].request.headers).toMatchObject({ "X-PageGun-Signature": "********" });
  });

  it("sees neither in the console: the Webhooks index, a webhook's page, the Delivery Log with an attempt open, the Audit Log", async () => {
    const browser = await consoleSignIn(w.viewer);
    const p = `/console/sites/${w.site.id}`;
    for (const path of [
      `${p}/webhooks`,
      `${p}/webhooks/${w.chat.id}/events`,
      `${p}/webhooks/${w.chat.id}/actions`,
      `${p}/log`,
      `${p}/log/${w.chat.delivery}`,
      `${p}/log/${w.pagegun.delivery}`,
      `${p}/audit`,
    ]) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(200);
      expectNothingSecretIn(await res.text(), path);
    }
  });
});

describe("an integrations-admin key", () => {
  it("sees the whole URL and every signature, through the API and the console", async () => {
    const hook = await json(api("GET", `${w.base}/webhooks/${w.chat.id}`, undefined, w.admin));
    expect(hook.url).toBe(URL_WITH_CREDENTIALS);
    expect((await json(api("GET", `${w.base}/settings`, undefined, w.admin))).webhooks[0].url).toBe(
      URL_WITH_CREDENTIALS,
    );
    const chat = await json(api("GET", `${w.base}/deliveries/${w.chat.delivery}`, undefined, w.admin));
    const pagegun = await json(api("GET", `${w.base}/deliveries/${w.pagegun.delivery}`, undefined, w.admin));
    expect(chat.attempts_detail[0].request.url).toBe(URL_WITH_CREDENTIALS);
    const shown = [chat, pagegun].flatMap((d) =>
      Object.entries(d.attempts_detail[0].request.headers as Record<string, string>)
        .filter(([k]) => /signature$/i.test(k))
        .map(([, v]) => v),
    );
    expect(shown.sort()).toEqual([...w.signatures].sort());
    const audit = await json(api("GET", `${w.base}/audit-log`, undefined, w.admin));
    expect(JSON.stringify(audit)).toContain("XXXXSECRETXXXX");
    const page = await (await consoleSignIn(w.admin)).get(`/console/sites/${w.site.id}/log/${w.chat.delivery}`);
    expect(await page.text()).toContain("XXXXSECRETXXXX");
  });
});
