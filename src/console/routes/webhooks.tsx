// The Webhooks index, New webhook, and a webhook's tabs. Each post calls the same service as the REST API, after
// the same schema has judged the form; a service's InvalidInput comes back as the form with its field errors.
import type { Context } from "hono";
import { InvalidInput, type FieldError } from "../../domain/problems";
import {
  deliveryPolicySchema,
  eventsInputSchema,
  fieldErrorsOf,
  newWebhookSchema,
  secretInputSchema,
  webhookPatchSchema,
} from "../../domain/webhook-input";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookPage,
  planHeaderEdit,
  setDeliveryPolicy,
  setEvents,
  setSecret,
  updateWebhook,
} from "../../webhooks/config";
import { pauseWebhook, resumeWebhook, testWebhook } from "../../webhooks/flow";
import { webhookView } from "../../webhooks/view";
import { statsOf } from "../../logs/delivery-log";
import { findSite } from "../../db/sites";
import { databaseFor } from "../../db/route";
import { actorOf } from "../../api/router";
import { audienceOf } from "../../api/middleware/auth";
import { newConsoleRouter, sitePath, webhookPath, type ConsoleEnv } from "../context";
import { canManage, requireSite } from "../session";
import { checked, numberOrText, readForm, text, texts, type Form } from "../forms";
import { changed, readPolicy, readWebhookFields } from "../delivery-fields";
import { readHeaderEdit } from "../header-edit";
import { NewWebhookPage, WebhooksIndex } from "../pages/webhooks";
import { TABS, WebhookPage, type WebhookPageProps, type WebhookTab } from "../pages/webhook";
import { renderError } from "../pages/errors";
import { page, who } from "../ui";

export const webhookRoutes = newConsoleRouter();

const FLASH: Record<string, string> = {
  created: "Saved as a Draft. Now pick the events it should receive.",
  events: "Events saved.",
  events_active: "Events saved. The webhook is now Active.",
  delivery: "Delivery settings saved.",
  unchanged: "Nothing changed.",
  test: "Test event sent. Its delivery is in the Delivery Log.",
  paused: "Paused. New deliveries are held, in order, until you resume.",
  resumed: "Resumed: held deliveries go out in order.",
  settings: "Saved.",
  deleted: "Webhook deleted. Its delivery log stays.",
};

const flash = (c: Context<ConsoleEnv>) => FLASH[c.req.query("done") ?? ""] ?? null;
const actor = (c: Context<ConsoleEnv>) => actorOf(c.get("auth"));
const done = (c: Context<ConsoleEnv>, to: string, what: string) => c.redirect(`${to}?done=${what}`, 303);

webhookRoutes.get("/sites/:site/webhooks", async (c) => {
  const site = c.req.param("site");
  const sort = c.req.query("sort") === "last_delivery_at" ? "last_delivery_at" : "created_at";
  const { page: rows, nextCursor } = await listWebhookPage(c.env, site, sort, c.req.query("cursor"), 50);
  return page(
    c,
    <WebhooksIndex
      site={site}
      who={who(c.get("auth"))}
      csrf={c.get("csrf")}
      hooks={rows.map((w) => webhookView(w, audienceOf(c.get("auth"), site)))}
      sort={sort}
      next={nextCursor}
      canManage={canManage(c, site)}
      flash={flash(c)}
      now={Date.now()}
    />,
  );
});

webhookRoutes.get("/sites/:site/webhooks/new", requireSite("manage"), (c) =>
  page(c, <NewWebhookPage site={c.req.param("site")} who={who(c.get("auth"))} csrf={c.get("csrf")} />),
);

webhookRoutes.post("/sites/:site/webhooks", requireSite("manage"), async (c) => {
  const site = c.req.param("site");
  const form = await readForm(c);
  const input = {
    name: text(form, "name") ?? "",
    url: text(form, "url") ?? "",
    secret: text(form, "secret"),
    description: text(form, "description"),
  };
  const again = (errors: FieldError[]) =>
    page(
      c,
      <NewWebhookPage site={site} who={who(c.get("auth"))} csrf={c.get("csrf")} values={input} errors={errors} />,
      422,
    );
  const parsed = newWebhookSchema.safeParse(stripUndefined(input));
  if (!parsed.success) return again(fieldErrorsOf(parsed.error));
  try {
    const row = await createWebhook(c.env, site, parsed.data, actor(c));
    return done(c, webhookPath(site, row.id, "/events"), "created");
  } catch (err) {
    if (err instanceof InvalidInput) return again(err.errors);
    throw err;
  }
});

webhookRoutes.get("/sites/:site/webhooks/:id", (c) =>
  c.redirect(webhookPath(c.req.param("site"), c.req.param("id"), "/events"), 303),
);

/** Renders a tab of the webhook; `extra` carries what a post adds (errors, the posted form, a new secret). */
async function renderTab(
  c: Context<ConsoleEnv>,
  tab: WebhookTab,
  extra: Partial<WebhookPageProps> = {},
  status: 200 | 422 = 200,
  row?: Awaited<ReturnType<typeof getWebhook>>,
) {
  const site = c.req.param("site")!;
  const hook = row ?? (await getWebhook(c.env, site, c.req.param("id")!));
  const window = c.req.query("window") === "7d" ? "7d" : "24h";
  const stats = tab === "health" ? await statsOf(c.env, site, hook.id, window) : undefined;
  return page(
    c,
    <WebhookPage
      site={site}
      who={who(c.get("auth"))}
      csrf={c.get("csrf")}
      hook={webhookView(hook, audienceOf(c.get("auth"), site))}
      tab={tab}
      canManage={canManage(c, site)}
      now={Date.now()}
      flash={flash(c)}
      stats={stats}
      confirmDelete={tab === "actions" && c.req.query("confirm") === "delete"}
      {...extra}
    />,
    status,
  );
}

webhookRoutes.get("/sites/:site/webhooks/:id/:tab", async (c) => {
  const tab = c.req.param("tab") as WebhookTab;
  if (!TABS.includes(tab)) return renderError(c, 404, "There is no such tab.");
  return renderTab(c, tab);
});

// ---- Posts: each needs the manage capability --------------------------------------------------------------

const hookRoute = (action: string) => `/sites/:site/webhooks/:id/${action}`;

/** Runs a change; a field error comes back as the tab with its errors and the form as posted. */
async function withForm(
  c: Context<ConsoleEnv>,
  tab: WebhookTab,
  change: (form: Form, row: Awaited<ReturnType<typeof getWebhook>>) => Promise<Response>,
) {
  const row = await getWebhook(c.env, c.req.param("site")!, c.req.param("id")!);
  const form = await readForm(c);
  try {
    return await change(form, row);
  } catch (err) {
    if (err instanceof InvalidInput) return renderTab(c, tab, { errors: err.errors, posted: form }, 422, row);
    throw err;
  }
}

function parsed<T>(result: { success: true; data: T } | { success: false; error: import("zod").ZodError }): T {
  if (!result.success) throw new InvalidInput(fieldErrorsOf(result.error));
  return result.data;
}

webhookRoutes.post(hookRoute("events"), requireSite("manage"), (c) =>
  withForm(c, "events", async (form, row) => {
    const input = parsed(
      eventsInputSchema.safeParse({ events: texts(form, "events"), include_detail: checked(form, "include_detail") }),
    );
    const next = await setEvents(c.env, row, input.events, input.include_detail, actor(c));
    return done(c, webhookPath(row.siteId, row.id, "/events"), next.status !== row.status ? "events_active" : "events");
  }),
);

webhookRoutes.post(hookRoute("delivery"), requireSite("manage"), (c) =>
  withForm(c, "delivery", async (form, row) => {
    // Judge everything before writing anything: the policy and the webhook's own fields by the shared schemas, the
    // headers by the services' rules.
    const policy = deliveryPolicySchema.safeParse(readPolicy(form));
    const own = webhookPatchSchema.safeParse(readWebhookFields(form));
    const errors: FieldError[] = [
      ...(policy.success ? [] : fieldErrorsOf(policy.error)),
      ...(own.success ? [] : fieldErrorsOf(own.error)),
    ];
    let headers: Record<string, string> | null = null;
    try {
      const edit = readHeaderEdit(form);
      if (Object.keys(edit.set).length || edit.remove.length) headers = await planHeaderEdit(c.env, row, edit);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      errors.push(...err.errors);
    }
    if (errors.length || !policy.success || !own.success) throw new InvalidInput(errors);
    const current = webhookView(row, "full");
    const changes = changed(current, policy.data, "policy");
    const patch = { ...changed(current, own.data, "webhook"), ...(headers && { headers }) };
    let next = row;
    if (Object.keys(changes).length) next = await setDeliveryPolicy(c.env, row, changes, actor(c));
    if (Object.keys(patch).length) await updateWebhook(c.env, next, patch, actor(c));
    const what = Object.keys(changes).length || Object.keys(patch).length ? "delivery" : "unchanged";
    return done(c, webhookPath(row.siteId, row.id, "/delivery"), what);
  }),
);

webhookRoutes.post(hookRoute("secret"), requireSite("manage"), (c) =>
  withForm(c, "secret", async (form, row) => {
    const generate = checked(form, "generate");
    const input = parsed(
      secretInputSchema.safeParse({
        ...(generate ? {} : { secret: text(form, "secret") ?? "" }),
        overlap_seconds: numberOrText(text(form, "overlap_seconds") ?? "0"),
      }),
    );
    const made = await setSecret(c.env, row, input, actor(c));
    const now = await getWebhook(c.env, row.siteId, row.id);
    // Shown once, in this answer only (never in a redirect URL); the page is not cached.
    return renderTab(c, "secret", { newSecret: made.secret }, 200, now);
  }),
);

webhookRoutes.post(hookRoute("settings"), requireSite("manage"), (c) =>
  withForm(c, "actions", async (form, row) => {
    const input = parsed(
      webhookPatchSchema.safeParse({
        name: text(form, "name") ?? "",
        url: text(form, "url") ?? "",
        description: text(form, "description") ?? null,
      }),
    );
    const patch = {
      ...(input.name !== row.name && { name: input.name }),
      ...(input.url !== row.url && { url: input.url }),
      ...(input.description !== row.description && { description: input.description }),
    };
    if (!Object.keys(patch).length) return done(c, webhookPath(row.siteId, row.id, "/actions"), "unchanged");
    await updateWebhook(c.env, row, patch, actor(c));
    return done(c, webhookPath(row.siteId, row.id, "/actions"), "settings");
  }),
);

webhookRoutes.post(hookRoute("test"), requireSite("manage"), async (c) => {
  const site = c.req.param("site")!;
  const row = await getWebhook(c.env, site, c.req.param("id")!);
  const siteRow = await findSite(databaseFor(c.env, site), site);
  if (!siteRow) return renderError(c, 404, "There is no such site.");
  await testWebhook(c.env, siteRow, row, actor(c));
  return done(c, webhookPath(site, row.id, "/actions"), "test");
});

webhookRoutes.post(hookRoute("pause"), requireSite("manage"), async (c) => {
  const row = await getWebhook(c.env, c.req.param("site")!, c.req.param("id")!);
  await pauseWebhook(c.env, row, actor(c));
  return done(c, webhookPath(row.siteId, row.id, "/actions"), "paused");
});

webhookRoutes.post(hookRoute("resume"), requireSite("manage"), async (c) => {
  const row = await getWebhook(c.env, c.req.param("site")!, c.req.param("id")!);
  const form = await readForm(c);
  await resumeWebhook(c.env, row, checked(form, "replay_failed"), actor(c));
  return done(c, webhookPath(row.siteId, row.id, "/actions"), "resumed");
});

webhookRoutes.post(hookRoute("delete"), requireSite("manage"), async (c) => {
  const row = await getWebhook(c.env, c.req.param("site")!, c.req.param("id")!);
  const form = await readForm(c);
  if (text(form, "confirm") !== "yes")
    return c.redirect(webhookPath(row.siteId, row.id, "/actions?confirm=delete"), 303);
  await deleteWebhook(c.env, row, actor(c));
  return done(c, sitePath(row.siteId, "/webhooks"), "deleted");
});

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
