// The receiver examples of examples/receivers/, each run as its own process against real deliveries from
// wrangler dev: each accepts a good delivery, and rejects a tampered body, a wrong secret and (where the scheme has
// a timestamp) an old one. Node and Python always; Go when `go` is installed (.ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ROOT } from "../../scripts/wrangler-dev.mjs";
import { setupSite, startEdgehooks, type Edgehooks } from "./harness";

type Scheme = "sgen" | "standard-webhooks" | "pagegun";
const SECRETS: Record<Scheme, string> = {
  sgen: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  pagegun: "pagegun_receiver_secret",
};
const WRONG: Record<Scheme, string> = {
  sgen: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  "standard-webhooks": "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  pagegun: "another_pagegun_secret",
};

const dir = join(ROOT, "examples", "receivers");
const hasGo = spawnSync("go", ["version"]).status === 0;
const goBin = join(ROOT, ".e2e", "receivers-go");

const EXAMPLES: { lang: string; scheme: Scheme; command: () => string[] }[] = [
  { lang: "node", scheme: "sgen", command: () => ["node", join(dir, "node", "sgen.mjs")] },
  { lang: "node", scheme: "standard-webhooks", command: () => ["node", join(dir, "node", "standard-webhooks.mjs")] },
  { lang: "node", scheme: "pagegun", command: () => ["node", join(dir, "node", "pagegun.mjs")] },
  { lang: "python", scheme: "sgen", command: () => ["python3", join(dir, "python", "sgen.py")] },
  {
    lang: "python",
    scheme: "standard-webhooks",
    command: () => ["python3", join(dir, "python", "standard_webhooks.py")],
  },
  { lang: "python", scheme: "pagegun", command: () => ["python3", join(dir, "python", "pagegun.py")] },
  { lang: "go", scheme: "sgen", command: () => [join(goBin, "sgen")] },
  { lang: "go", scheme: "standard-webhooks", command: () => [join(goBin, "standard-webhooks")] },
  { lang: "go", scheme: "pagegun", command: () => [join(goBin, "pagegun")] },
];

let eh: Edgehooks;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (hasGo) {
    mkdirSync(goBin, { recursive: true });
    for (const name of ["sgen", "standard-webhooks", "pagegun"]) {
      const built = spawnSync("go", ["build", "-o", join(goBin, name), `./${name}`], {
        cwd: join(dir, "go"),
        encoding: "utf8",
      });
      if (built.status !== 0) throw new Error(`go build ${name}: ${built.stderr}`);
    }
  } else if (process.env.EDGEHOOKS_REQUIRE_GO === "1") {
    throw new Error("go is not installed, and EDGEHOOKS_REQUIRE_GO=1 (.ci/run installs golang-go)");
  }
  eh = await startEdgehooks();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await eh?.stop();
});

/** Starts an example on a free port with this secret; resolves once it answers (an unsigned POST: 401). */
async function startExample(command: string[], secret: string) {
  const port = (await freePort()) as number;
  const [bin, ...args] = command;
  const child = spawn(bin!, args, {
    env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}/hook`;
  await eh.until(
    () =>
      fetch(url, { method: "POST", body: "{}" }).then(
        (r) => r.status,
        () => (child.exitCode ?? 0) * -1,
      ),
    (status) => status === 401 || status < 0,
    60_000,
  );
  if (child.exitCode !== null) throw new Error(`${command.join(" ")} exited: ${stderr}`);
  return url;
}

/** What a delivery sent, from the delivery log: the headers (custom values masked; none here) and the body. */
async function sentRequest(s: { base: string; ops: string }, deliveryId: string) {
  const detail = (await eh.api("GET", `${s.base}/deliveries/${deliveryId}`, undefined, s.ops)).body;
  const { headers, body } = detail.attempts_detail[0].request as { headers: Record<string, string>; body: string };
  return { headers, body, detail };
}

function post(url: string, headers: Record<string, string>, body: string) {
  return fetch(url, { method: "POST", headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
}

/** The same body signed again at `t` with the right secret, as Edgehooks signs: only the time differs. */
function signedAt(scheme: Scheme, headers: Record<string, string>, body: string, t: number) {
  const secret = SECRETS[scheme];
  if (scheme === "sgen") {
    const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    return { ...headers, "X-SGEN-Signature": `t=${t},v1=${v1}` };
  }
  const id = headers["webhook-id"];
  const sig = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
    .update(`${id}.${t}.${body}`)
    .digest("base64");
  return { ...headers, "webhook-timestamp": String(t), "webhook-signature": `v1,${sig}` };
}

let sites = 0;

async function deliverTo(url: string, scheme: Scheme, secret: string) {
  const s = await setupSite(eh, `rx${++sites}${Date.now() % 100000}`);
  const made = await eh.api(
    "POST",
    `${s.base}/webhooks`,
    { name: `${scheme} example`, url, secret, ...(scheme === "pagegun" ? { format: "pagegun" } : {}) },
    s.ops,
  );
  const id = made.body.id as string;
  await eh.api("PUT", `${s.base}/webhooks/${id}/events`, { events: ["page.published"] }, s.ops);
  await eh.api("PUT", `${s.base}/webhooks/${id}/delivery`, { retry_policy: "none" }, s.ops);
  const sent = await eh.api(
    "POST",
    `${s.base}/events`,
    {
      event_type: "page.published",
      target: { type: "page", id: "page_xyz789abc", title: "AI tools", url: "https://example.com/ai" },
      detail: { page_name: "AI tools", slug: "ai-tools" },
    },
    s.cms,
  );
  const settled = await eh.until(
    () => eh.api("GET", `${s.base}/deliveries?webhook_id=${id}`, undefined, s.ops),
    (r) => ["delivered", "failed"].includes(r.body.data[0]?.state),
  );
  return { s, delivery: settled.body.data[0], eventId: sent.body.event_id as string };
}

describe("the README", () => {
  it("shows each Node example's verify function as it stands", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const file of ["sgen.mjs", "standard-webhooks.mjs", "pagegun.mjs"]) {
      const source = readFileSync(join(dir, "node", file), "utf8");
      const fn = /export (function verify[\s\S]*?\n\})\n/.exec(source)![1]!;
      expect(readme, file).toContain(fn);
    }
  });
});

describe("receiver examples against real deliveries", () => {
  for (const ex of EXAMPLES) {
    it.skipIf(ex.lang === "go" && !hasGo)(`${ex.lang} ${ex.scheme}`, async () => {
      const url = await startExample(ex.command(), SECRETS[ex.scheme]);

      // A good delivery: accepted, and read (the example answers with what it parsed).
      const good = await deliverTo(url, ex.scheme, SECRETS[ex.scheme]);
      expect(good.delivery).toMatchObject({ state: "delivered", response_status: 200 });
      const { headers, body, detail } = await sentRequest(good.s, good.delivery.id);
      expect(detail.attempts_detail[0].response.body).toBe(
        ex.scheme === "pagegun"
          ? `ok page.published ${good.eventId} page_xyz789abc`
          : `ok page.published ${good.eventId}`,
      );

      // The same request again is still good (the log shows it as sent); one byte changed is not.
      expect((await post(url, headers, body)).status).toBe(200);
      const tampered = body.replace("AI tools", "AI tooms");
      expect(tampered).not.toBe(body);
      expect((await post(url, headers, tampered)).status).toBe(401);

      // A delivery signed with another secret: refused, and the delivery ends failed with that 401.
      const wrong = await deliverTo(url, ex.scheme, WRONG[ex.scheme]);
      expect(wrong.delivery).toMatchObject({ state: "failed", response_status: 401 });

      // An old timestamp, signed correctly: refused, while the same signed now is accepted.
      if (ex.scheme !== "pagegun") {
        const now = Math.floor(Date.now() / 1000);
        expect((await post(url, signedAt(ex.scheme, headers, body, now - 600), body)).status).toBe(401);
        expect((await post(url, signedAt(ex.scheme, headers, body, now), body)).status).toBe(200);
      }
    });
  }
});
