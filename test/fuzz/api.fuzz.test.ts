// A property-based sweep of the whole admin API: generated hostile path parameters, query strings, bodies and
// headers against every operation of the OpenAPI document. Whatever arrives, the answer is never a 5xx; an error is
// always application/problem+json; and a 4xx changes nothing. `npm test` runs it with a fixed seed and a bounded
// number of runs; `npm run fuzz` runs it longer (FUZZ_RUNS, FUZZ_SEED).
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import document from "../../docs/openapi.json";
import { createKey, createSite, createWebhook, json, api, ROOT, sampleEvent } from "../helpers";
import { fromSchema, hostileCursor, hostileString, type Schema } from "./schema-arbitrary";

const RUNS = Number(env.FUZZ_RUNS || 300);
/** Nested far past any parser's comfort, well inside the size limits. */
const DEEP_JSON = `${'{"detail":'.repeat(3000)}1${"}".repeat(3000)}`;
const SEED = Number(env.FUZZ_SEED || 20261123);

interface Operation {
  method: string;
  path: string;
  params: { in: string; name: string; schema: Schema }[];
  body: Schema | null;
}

const components = (document.components?.schemas ?? {}) as Record<string, Schema>;
const operations: Operation[] = Object.entries(document.paths).flatMap(([path, ops]) =>
  Object.entries(ops as Record<string, any>).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    params: (op.parameters ?? []) as Operation["params"],
    body: (op.requestBody?.content?.["application/json"]?.schema ?? null) as Schema | null,
  })),
);

/** Real ids of the fixture, so requests also reach existing things, not only 404s. */
const known: { site: string[]; id: string[] } = { site: [], id: [] };
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const site = await createSite();
  const other = await createSite();
  const hook = await createWebhook(site.id, { events: ["post.published"], url: "http://127.0.0.1:9/fuzz" });
  const accepted = await json(api("POST", `/v1/sites/${site.id}/events`, sampleEvent()));
  const delivery = await json(api("GET", `/v1/sites/${site.id}/deliveries`));
  known.site = [site.id, other.id];
  known.id = [hook.id, delivery.data[0]?.id ?? "dlv_none", accepted.event_id];
  tokens.root = ROOT;
  tokens.viewer = (await createKey(site.id, "viewer")).token;
  tokens.ingest = (await createKey(site.id, "ingest")).token;
  tokens.admin = (await createKey(site.id, "integrations-admin")).token;
  tokens.otherSite = (await createKey(other.id, "integrations-admin")).token;
});

/**
 * What a 4xx must leave alone: the configuration and the records a request writes synchronously. Columns only the
 * delivery pipeline changes in the background (a webhook's status, alert and last delivery, delivery states) are
 * left out, so a delivery settling meanwhile is not mistaken for a change.
 */
async function fingerprint(): Promise<string> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM sites) AS sites,
            (SELECT group_concat(id || ':' || name || ':' || COALESCE(revoked_at, '')) FROM api_keys) AS keys,
            (SELECT group_concat(id || ':' || name || ':' || url || ':' || events || ':' || include_detail || ':' ||
                                 timeout_ms || ':' || retry_policy || ':' || failure_mode || ':' || header_names || ':' ||
                                 COALESCE(secret_rotated_at, '') || ':' || COALESCE(deleted_at, '')) FROM webhooks) AS hooks,
            (SELECT COUNT(*) FROM events) AS events,
            (SELECT COUNT(*) FROM audit_log) AS audit,
            (SELECT COUNT(*) FROM exports) AS exports`,
  ).first();
  return JSON.stringify(row);
}

/** encodeURIComponent, but a lone surrogate (which it refuses) becomes U+FFFD; raw bad bytes come from constants. */
const encode = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"));

/** A query value: shaped by its schema, and for a cursor, cursors of every shape but ours. */
const valueFor = (p: Operation["params"][number]) =>
  p.name === "cursor" ? fc.oneof(hostileCursor, fromSchema(p.schema, components)) : fromSchema(p.schema, components);

const segment = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(name === "site" ? known.site : known.id)) },
    { weight: 2, arbitrary: hostileString.map((s) => encode(s) || "x") },
    { weight: 1, arbitrary: fc.constantFrom("..", "%2e%2e", "%00", "%", "%ED%A0%80", "%FF", "a%2Fb", "x".repeat(300)) },
  );

const request = fc.constantFrom(...operations).chain((op) =>
  fc.record({
    op: fc.constant(op),
    path: fc.tuple(
      ...op.params.filter((p) => p.in === "path").map((p) => segment(p.name).map((v) => [p.name, v] as const)),
    ),
    query: fc.array(
      fc.oneof(
        ...op.params.filter((p) => p.in === "query").map((p) => valueFor(p).map((v) => [p.name, String(v)] as const)),
        fc.tuple(hostileString, hostileString),
      ),
      { maxLength: 4 },
    ),
    body: op.body
      ? fc.oneof(
          { weight: 6, arbitrary: fromSchema(op.body, components).map((v) => JSON.stringify(v)) },
          {
            weight: 1,
            arbitrary: fc.constantFrom("{", "[1,", '{"a":', "\u0000", "", "null", "1".repeat(70_000), DEEP_JSON),
          },
        )
      : op.method === "GET"
        ? fc.constant(null)
        : fc.option(
            fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
            { freq: 4 },
          ),
    contentType: fc.constantFrom(
      "application/json",
      "application/json",
      "application/json",
      "text/plain",
      "application/merge-patch+json",
      "",
    ),
    token: fc.constantFrom("root", "root", "root", "admin", "viewer", "ingest", "otherSite", "none", "garbage"),
  }),
);

describe("the whole API under generated hostile input", () => {
  it(
    `never answers 5xx, always answers problems as problem+json, and changes nothing on a 4xx (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          let path = r.op.path;
          for (const [name, value] of r.path) path = path.replace(`{${name}}`, value);
          const query = r.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
          const headers: Record<string, string> = {};
          if (r.token === "garbage") headers.authorization = "Basic Zm9vOmJhcg== Bearer";
          else if (r.token !== "none") headers.authorization = `Bearer ${tokens[r.token]}`;
          if (r.body !== null && r.contentType) headers["content-type"] = r.contentType;
          const before = await fingerprint();
          const res = await exports.default.fetch(
            new Request(`http://edgehooks.test${path}${query ? `?${query}` : ""}`, {
              method: r.op.method,
              headers,
              body: r.body ?? undefined,
            }),
          );
          const text = await res.text();
          const where = `${r.op.method} ${path}?${query} → ${res.status}: ${text.slice(0, 300)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get("content-type"), where).toContain("application/problem+json");
            const problem = JSON.parse(text);
            expect(problem.status, where).toBe(res.status);
            expect(Array.isArray(problem.errors), where).toBe(true);
            expect(await fingerprint(), `${where}\nchanged state`).toBe(before);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    Math.max(120_000, RUNS * 1000),
  ); // a run takes well under a second, even on a busy machine
});
