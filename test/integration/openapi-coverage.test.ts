// The admin API's OpenAPI document covers every route and field: each operation named (camelCase, unique) and
// secured, and the routes and fields of custom event types, formats, retry_on and settings as code described.
import { describe, expect, it } from "vitest";
import { api, json } from "../helpers";

type Operation = { operationId?: string; security?: unknown[]; parameters?: { name: string; in: string }[] };

async function document() {
  return json(await api("GET", "/openapi.json", undefined, ""));
}

function operations(doc: any): [string, Operation][] {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => [`${method} ${path}`, op] as [string, Operation]),
  );
}

describe("the OpenAPI document", () => {
  it("names every operation once, in camelCase, and secures every /v1 one with the bearer token", async () => {
    const ops = operations(await document());
    const names = ops.map(([, op]) => op.operationId);
    for (const [route, op] of ops) {
      expect(op.operationId, route).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      if (route.includes(" /v1/")) expect(op.security, route).toEqual([{ bearer: [] }]);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it("has the routes of a site's event types and its settings document", async () => {
    const ids = Object.fromEntries(operations(await document()).map(([route, op]) => [route, op.operationId]));
    expect(ids).toMatchObject({
      "get /v1/event-types": "listEventTypes",
      "get /v1/sites/{site}/event-types": "listSiteEventTypes",
      "post /v1/sites/{site}/event-types": "createSiteEventType",
      "delete /v1/sites/{site}/event-types/{type}": "deleteSiteEventType",
      "get /v1/sites/{site}/settings": "getSiteSettings",
      "put /v1/sites/{site}/settings": "putSiteSettings",
    });
    const put = (await document()).paths["/v1/sites/{site}/settings"].put as Operation;
    expect(put.parameters?.map((p) => `${p.in}.${p.name}`)).toContain("query.dry_run");
  });

  it("describes format, retry_on, flow control, a site's own types and the settings document", async () => {
    const s = (await document()).components.schemas;
    const props = (name: string) => Object.keys(s[name].properties);
    expect(s.Webhook.properties.format.enum).toEqual(["sgen", "pagegun", "slack", "discord", "teams"]);
    for (const field of ["message_template", "rate_limit_per_s", "auto_pause"])
      expect(props("Webhook")).toContain(field);
    expect(props("CreateWebhook")).toContain("message_template");
    expect(props("UpdateWebhook")).toContain("message_template");
    expect(props("DeliveryPolicy")).toEqual(
      expect.arrayContaining(["rate_limit_per_s", "auto_pause", "retry_on", "failure_mode"]),
    );
    expect(props("Delivery")).toContain("throttles");
    expect(props("Attempt")).toContain("throttle");
    expect(props("WebhookStats")).toContain("requests");
    expect(s.Webhook.properties.retry_on.enum).toEqual(["any", "server_errors"]);
    expect(props("CreateWebhook")).toContain("format");
    expect(props("UpdateWebhook")).toContain("format");
    expect(props("DeliveryPolicy")).toContain("retry_on");
    // The detail extends the log's delivery (allOf) with what only one delivery shows.
    const detail = s.DeliveryDetail.allOf.find((part: any) => part.properties).properties;
    expect(Object.keys(detail)).toEqual(["format", "retry_on", "message_template", "attempts_detail"]);
    expect(s.EventType.properties.family.enum).toEqual(expect.arrayContaining(["Operations", "Custom"]));
    expect(props("CreateEventType").sort()).toEqual(["description", "type"]);
    expect(props("SettingsWebhook").sort()).toEqual(
      [
        "description",
        "events",
        "failure_mode",
        "format",
        "headers",
        "include_detail",
        "name",
        "retry_on",
        "retry_policy",
        "secret",
        "timeout_ms",
        "url",
        "message_template",
        "rate_limit_per_s",
        "auto_pause",
      ].sort(),
    );
    expect(s.SettingsWebhook.required.sort()).toEqual(["events", "url"]);
    expect(props("SettingsPlan").sort()).toEqual(["created", "deleted", "dry_run", "unchanged", "updated"]);
    expect(props("Settings")).toEqual(["webhooks"]);
  });
});
