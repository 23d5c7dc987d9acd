// Hostile input that must end in a clear 4xx and change nothing: bodies that are too large or too deep, chunked
// bodies that never say their length, and keys of another site probing with invalid bodies.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createKey, createSite, createWebhook, json, ROOT } from "../helpers";

let siteId: string;
let hookId: string;

beforeAll(async () => {
  siteId = (await createSite()).id;
  hookId = (await createWebhook(siteId, { events: ["post.published"] })).id;
});

/** A body streamed in 64 KiB chunks with no Content-Length, as `Transfer-Encoding: chunked` arrives. */
function chunkedRequest(path: string, method: string, totalBytes: number) {
  const piece = new TextEncoder().encode(" ".repeat(64 * 1024));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  const req = new Request(`http://edgehooks.test${path}`, {
    method,
    headers: { authorization: `Bearer ${ROOT}`, "content-type": "application/json" },
    body,
    // @ts-expect-error: workerd needs duplex for a streamed request body; the type lacks it.
    duplex: "half",
  });
  return { req, sentBytes: () => sent };
}

describe("body limits", () => {
  it("stops a chunked 5 MB body to an admin route at 64 KiB, without reading it all", async () => {
    const { req, sentBytes } = chunkedRequest(`/v1/sites/${siteId}/webhooks`, "POST", 5 * 1024 * 1024);
    expect(req.headers.get("content-length")).toBeNull();
    const res = await exports.default.fetch(req);
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(sentBytes()).toBeLessThan(5 * 1024 * 1024);
    const list = await json(api("GET", `/v1/sites/${siteId}/webhooks`));
    expect(list.data).toHaveLength(1);
  });

  it("holds PUT …/webhooks/{id}/events to the admin limit (the ingest exemption is for the ingest routes only)", async () => {
    const events = Array.from({ length: 9000 }, (_, i) => `custom.type${i}`);
    const res = await api("PUT", `/v1/sites/${siteId}/webhooks/${hookId}/events`, { events });
    expect(res.status).toBe(413);
  });

  it("still takes a 100 KiB batch on the ingest route", async () => {
    const big = "x".repeat(900);
    const events = Array.from({ length: 100 }, (_, i) => ({
      event_type: "post.published",
      target: { type: "post", id: i, title: big },
    }));
    const res = await api("POST", `/v1/sites/${siteId}/events/batch`, { events });
    expect(res.status).toBe(202);
  });
});

describe("JSON depth", () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

  it("refuses a body nested deeper than 32 with a 422 naming the body, on admin and ingest routes", async () => {
    for (const [path, body] of [
      [`/v1/sites/${siteId}/webhooks`, `{"name":"x","url":"https://hooks.example.com/x","description":${deep(40)}}`],
      [
        `/v1/sites/${siteId}/events`,
        `{"event_type":"post.published","target":{"type":"post","id":1},"detail":${deep(5000)}}`,
      ],
    ] as const) {
      const res = await api("POST", path, body);
      expect(res.status, path).toBe(422);
      const problem = await json(res);
      expect(problem.errors[0].path).toBe("body");
    }
  });

  it("takes a body nested 32 deep, and does not count brackets inside strings", async () => {
    const detail = `{"s":"${"[{".repeat(100)}","d":${deep(29)}}`;
    const res = await api(
      "POST",
      `/v1/sites/${siteId}/events`,
      `{"event_type":"post.published","target":{"type":"post","id":2},"detail":${detail}}`,
    );
    expect(res.status).toBe(202);
  });
});

describe("another site's key", () => {
  it("gets 404 before its body is validated, so it learns nothing about the route", async () => {
    const other = await createSite();
    const key = await createKey(other.id, "integrations-admin");
    const res = await api("POST", `/v1/sites/${siteId}/webhooks`, { name: "", url: "not a url" }, key.token);
    expect(res.status).toBe(404);
    const ingest = await createKey(other.id, "ingest");
    expect((await api("POST", `/v1/sites/${siteId}/events`, { nope: true }, ingest.token)).status).toBe(404);
    expect((await api("GET", `/v1/sites/${siteId}`, undefined, key.token)).status).toBe(404);
  });
});

describe("secrets and names", () => {
  it("refuses a user secret under 16 characters and a whsec_ secret outside 24–64 bytes, naming `secret`", async () => {
    const short = "fifteen-chars-x";
    const tooFewBytes = `whsec_${btoa("x".repeat(16))}`;
    const tooManyBytes = `whsec_${btoa("x".repeat(65))}`;
    for (const secret of [short, tooFewBytes, tooManyBytes, "whsec_not*base64!!!!!!!!"]) {
      const res = await api("POST", `/v1/sites/${siteId}/webhooks`, {
        name: "s",
        url: "https://hooks.example.com/s",
        secret,
      });
      expect(res.status, secret).toBe(422);
      expect((await json(res)).errors.map((e: { path: string }) => e.path)).toContain("secret");
      const rotate = await api("POST", `/v1/sites/${siteId}/webhooks/${hookId}/secret`, { secret });
      expect(rotate.status, secret).toBe(422);
    }
    const ok = await api("POST", `/v1/sites/${siteId}/webhooks/${hookId}/secret`, {
      secret: `whsec_${btoa("x".repeat(24))}`,
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a key named root or system, which would read as them in the audit log", async () => {
    for (const name of ["root", " Root ", "SYSTEM"]) {
      const res = await api("POST", `/v1/sites/${siteId}/keys`, { name, role: "viewer" });
      expect(res.status, name).toBe(422);
      expect((await json(res)).errors[0].path).toBe("name");
    }
  });
});

describe("list cursors", () => {
  it("pages keys made in the same millisecond without skipping one", async () => {
    const site = (await createSite()).id;
    for (let i = 0; i < 3; i++) await createKey(site, "viewer", `same-ms ${i}`);
    await env.DB.prepare("UPDATE api_keys SET created_at = 1700000000000 WHERE site_id = ?").bind(site).run();
    const seen: string[] = [];
    let cursor = "";
    do {
      const page = await json(api("GET", `/v1/sites/${site}/keys?limit=1${cursor ? `&cursor=${cursor}` : ""}`));
      seen.push(...page.data.map((k: { id: string }) => k.id));
      cursor = page.next_cursor ?? "";
    } while (cursor);
    expect(new Set(seen).size).toBe(3);
  });

  it("answers a cursor of the wrong shape with 422 naming query.cursor, on every list", async () => {
    for (const path of ["webhooks", "keys", "audit-log", "deliveries"]) {
      const res = await api("GET", `/v1/sites/${siteId}/${path}?cursor=WyJ4Il0`);
      expect(res.status, path).toBe(422);
      expect((await json(res)).errors[0].path, path).toBe("query.cursor");
    }
  });
});
