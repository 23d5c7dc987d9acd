// Settings as code: a site's webhooks read and written as one declarative document, keyed by url.
import { createRoute, z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { actorOf, newRouter } from "./router";
import { audienceOf, requireSite } from "./middleware/auth";
import { bearer, json, named, problems, siteParam } from "./openapi-common";
import { ProblemError } from "./problem";
import { FORMAT_NAMES } from "../domain/formats";
import { RETRY_ON, retryPolicyInputSchema } from "../domain/retry-policy";
import { settingsDocumentSchema, settingsEntrySchema, MAX_SETTINGS_WEBHOOKS } from "../domain/settings";
import { applySettings, readSettings } from "../webhooks/settings";

export const settingsRouter = newRouter();

const PAGEGUN_EXAMPLE = {
  webhooks: [
    {
      url: "https://your-server.com/webhooks/pagegun",
      events: ["page.published", "page.updated", "page.deleted"],
      secret: "your_webhook_secret_here",
      format: "pagegun",
    },
  ],
};

const SettingsEntry = named(settingsEntrySchema, "SettingsWebhook", {
  description:
    "One webhook, keyed by `url`. A field left out takes its default (the format's, for a pagegun entry), except " +
    "`secret`: left out, it keeps the current secret (none for a new webhook); null removes it. A header given as " +
    "null keeps its current value.",
});

const SettingsDocument = named(
  settingsDocumentSchema.extend({ webhooks: z.array(SettingsEntry).max(MAX_SETTINGS_WEBHOOKS) }),
  "Settings",
  { example: PAGEGUN_EXAMPLE },
);

/** What GET answers: every field of every webhook, secrets never, header values as null. */
const SettingsRead = z
  .object({
    webhooks: z.array(
      z.object({
        url: z.string(),
        events: z.array(z.string()),
        name: z.string(),
        description: z.string().nullable(),
        format: z.enum(FORMAT_NAMES),
        include_detail: z.boolean(),
        timeout_ms: z.number().int(),
        retry_policy: retryPolicyInputSchema,
        retry_on: z.enum(RETRY_ON),
        failure_mode: z.enum(["continue", "pause"]),
        message_template: z.string().nullable(),
        rate_limit_per_s: z.number().nullable(),
        auto_pause: z
          .object({ failure_rate: z.number(), min_attempts: z.number().int(), window_s: z.number().int() })
          .nullable(),
        headers: z
          .record(z.string(), z.null())
          .openapi({ description: "Header names; values are write-only, so each is null" }),
      }),
    ),
  })
  .openapi("SettingsRead");

const ref = z.object({ id: z.string(), url: z.string() });
const Plan = z
  .object({
    dry_run: z.boolean(),
    created: z.array(ref.extend({ id: z.string().nullable() })).openapi({ description: "id is null in a dry run" }),
    updated: z.array(ref.extend({ fields: z.array(z.string()) })),
    deleted: z.array(ref),
    unchanged: z.array(ref),
  })
  .openapi("SettingsPlan", {
    example: {
      dry_run: false,
      created: [{ id: "wh_8f2k4m6p9r1t3v5x", url: "https://your-server.com/webhooks/pagegun" }],
      updated: [],
      deleted: [],
      unchanged: [],
    },
  });

/** Zod's path as the document names it: `webhooks[2].url`, `webhooks[0].headers.X-Team`. */
function documentPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    "",
  );
}

settingsRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/settings",
    operationId: "getSiteSettings",
    tags: ["Settings"],
    summary: "The site's webhooks as one document",
    description:
      "Oldest first. PUT accepts this document as it stands and changes nothing. Secrets are never shown; header " +
      "values neither (each header's name with null). A viewer gets each url with its path and query masked.",
    security: bearer,
    request: { params: siteParam },
    responses: { 200: json(SettingsRead, "The document"), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    return c.json(await readSettings(c.env, site, audienceOf(c.get("auth"), site)), 200);
  },
);

settingsRouter.openapi(
  createRoute({
    method: "put",
    path: "/sites/{site}/settings",
    operationId: "putSiteSettings",
    tags: ["Settings"],
    summary: "Make the site's webhooks match a document",
    description:
      "Keyed by url: missing webhooks are created (active when they have events), changed ones updated, and those " +
      "not listed deleted. The answer is the plan. The same document twice changes nothing the second time. With " +
      "`dry_run=true` nothing changes. A bad entry changes nothing (422 naming it: `webhooks[2].url`). Each change " +
      "is audited with the caller's kind and id. A document that would leave the site more webhooks than `WEBHOOKS_PER_SITE` " +
      "allows is a 409 (Quota exceeded), also in a dry run.",
    security: bearer,
    request: {
      params: siteParam,
      query: z.object({ dry_run: z.enum(["true", "false"]).optional() }),
      body: { content: { "application/json": { schema: SettingsDocument } }, required: true },
    },
    responses: {
      200: json(Plan, "The plan (applied unless dry_run)"),
      ...problems(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const plan = await applySettings(c.env, site, c.req.valid("json"), {
      actor: actorOf(c.get("auth")),
      dryRun: c.req.valid("query").dry_run === "true",
    });
    return c.json(plan, 200);
  },
  (result): undefined => {
    if (result.success) return;
    const error = result.error as unknown as ZodError;
    const prefix = result.target === "json" ? "" : `${result.target}.`;
    throw new ProblemError(
      422,
      "Validation failed",
      "The document has invalid fields",
      error.issues.map((issue) => ({ path: prefix + documentPath(issue.path), message: issue.message })),
    );
  },
);
