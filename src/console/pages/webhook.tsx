// A webhook, with its tabs: Events, Delivery, Secret, Actions, Health.
import type { WebhookView } from "../../webhooks/view";
import type { FieldError } from "../../domain/problems";
import { BUILT_IN_EVENT_TYPES, type EventTypeInfo } from "../../domain/catalog";
import { MAX_CUSTOM_HEADERS } from "../../domain/custom-headers";
import { sitePath, webhookPath } from "../context";
import { DELIVERY_FIELDS } from "../delivery-fields";
import { text, texts, type Form } from "../forms";
import { FieldErrors, Flash, PostForm, Shell, StatusBadge, Tab, Time, errorsFor, otherErrors } from "../ui";
import { HealthView, type Stats } from "./health";
import { SecretTab } from "./secret-tab";
import { ActionsTab } from "./actions-tab";

export const TABS = ["events", "delivery", "secret", "actions", "health"] as const;
export type WebhookTab = (typeof TABS)[number];
const TAB_NAMES: Record<WebhookTab, string> = {
  events: "Events",
  delivery: "Delivery",
  secret: "Secret",
  actions: "Actions",
  health: "Health",
};

export interface WebhookPageProps {
  site: string;
  who: string;
  csrf: string;
  hook: WebhookView;
  tab: WebhookTab;
  canManage: boolean;
  now: number;
  flash?: string | null;
  errors?: FieldError[];
  /** The form as posted, shown again after an error. */
  posted?: Form;
  newSecret?: string;
  confirmDelete?: boolean;
  stats?: Stats;
}

export const WebhookPage = (p: WebhookPageProps) => (
  <Shell title={`${p.hook.name}: ${TAB_NAMES[p.tab]}`} site={{ id: p.site, tab: "webhooks" }} who={p.who} csrf={p.csrf}>
    <p class="hint">
      <a href={sitePath(p.site, "/webhooks")}>← Webhooks</a>
    </p>
    <div class="head">
      <h1>{p.hook.name}</h1>
      <StatusBadge status={p.hook.status} />
    </div>
    <p class="muted">
      <code>{p.hook.url}</code> · created by {p.hook.created_by}, <Time at={p.hook.created_at} now={p.now} />
    </p>
    {p.hook.description && <p>{p.hook.description}</p>}
    {p.hook.alert && (
      <p class="flash error" role="alert">
        Alert since {new Date(p.hook.alert.since).toISOString().slice(0, 19).replace("T", " ")} UTC:{" "}
        {p.hook.alert.message}
      </p>
    )}
    <nav class="tabs subtabs" aria-label="Webhook">
      {TABS.map((t) => (
        <Tab href={webhookPath(p.site, p.hook.id, `/${t}`)} current={t === p.tab}>
          {TAB_NAMES[t]}
        </Tab>
      ))}
    </nav>
    <Flash message={p.flash} />
    {p.newSecret && (
      <div class="flash secret" role="status">
        <p>
          <b>The new secret, shown this once.</b> Copy it to the receiver now: it cannot be shown again.
        </p>
        <p>
          <code id="new-secret">{p.newSecret}</code>
        </p>
      </div>
    )}
    {p.tab === "events" && <EventsTab {...p} />}
    {p.tab === "delivery" && <DeliveryTab {...p} />}
    {p.tab === "secret" && <SecretTab {...p} />}
    {p.tab === "actions" && <ActionsTab {...p} />}
    {p.tab === "health" && p.stats && <HealthView site={p.site} hook={p.hook} stats={p.stats} now={p.now} />}
  </Shell>
);

function families(): [string, EventTypeInfo[]][] {
  const out = new Map<string, EventTypeInfo[]>();
  for (const e of BUILT_IN_EVENT_TYPES) out.set(e.family, [...(out.get(e.family) ?? []), e]);
  return [...out];
}

const EventsTab = (p: WebhookPageProps) => {
  const chosen = new Set(p.posted ? texts(p.posted, "events") : p.hook.events);
  const detail = p.posted ? text(p.posted, "include_detail") !== undefined : p.hook.include_detail;
  const errors = p.errors ?? [];
  if (!p.canManage) {
    return (
      <section class="card" aria-labelledby="events-h">
        <h2 id="events-h">Subscribed events</h2>
        {p.hook.events.length ? (
          <ul>
            {p.hook.events.map((e) => (
              <li>
                <code>{e}</code>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">None: this webhook receives nothing.</p>
        )}
        <p>Include detail payload: {p.hook.include_detail ? "yes" : "no"}</p>
      </section>
    );
  }
  return (
    <PostForm action={webhookPath(p.site, p.hook.id, "/events")} csrf={p.csrf} class="card">
      <p class="hint">
        Tick the events the destination cares about, as few as it needs. A Draft becomes Active once it has one.
      </p>
      <FieldErrors id="events-error" errors={errors} />
      <div class="columns">
        {families().map(([family, types]) => (
          <fieldset>
            <legend>{family}</legend>
            {types.map((t) => (
              <label class="check" title={t.description}>
                <input type="checkbox" name="events" value={t.type} checked={chosen.has(t.type)} />
                <span>
                  <code>{t.type}</code>
                  <span class="hint"> {t.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
        ))}
      </div>
      <label class="check">
        <input type="checkbox" name="include_detail" value="true" checked={detail} /> Include detail payload
      </label>
      <p class="hint">Adds the event's detail (such as the changed fields) to every message: bigger, fewer lookups.</p>
      <div class="actions">
        <button type="submit">Save events</button>
      </div>
    </PostForm>
  );
};

const DeliveryTab = (p: WebhookPageProps) => {
  const errors = p.errors ?? [];
  if (!p.canManage) {
    return (
      <section class="card" aria-labelledby="delivery-h">
        <h2 id="delivery-h">Delivery</h2>
        <dl class="kv">
          {DELIVERY_FIELDS.map((f) => {
            const [label, value] = f.show(p.hook);
            return (
              <>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </>
            );
          })}
          <dt>Headers</dt>
          <dd>{p.hook.headers.length ? p.hook.headers.join(", ") : "none"} (values are never shown)</dd>
        </dl>
      </section>
    );
  }
  const shown = [...DELIVERY_FIELDS.flatMap((f) => f.paths), "headers"];
  return (
    <PostForm action={webhookPath(p.site, p.hook.id, "/delivery")} csrf={p.csrf} class="card">
      <FieldErrors id="delivery-errors" errors={otherErrors(errors, shown)} />
      {DELIVERY_FIELDS.map((f) => f.edit(p.hook, errors, p.posted))}
      <HeadersEditor {...p} />
      <div class="actions">
        <button type="submit">Save delivery</button>
      </div>
      <p class="hint">The new policy applies to deliveries made from now on; retries under way keep theirs.</p>
    </PostForm>
  );
};

/** Custom headers: values are write-only. A name already set shows no value; typing one replaces it. */
const HeadersEditor = (p: WebhookPageProps) => {
  const errors = errorsFor(p.errors ?? [], "headers");
  const spare = Math.max(0, Math.min(2, MAX_CUSTOM_HEADERS - p.hook.headers.length));
  return (
    <fieldset aria-describedby="headers-hint headers-error">
      <legend>Headers</legend>
      <p id="headers-hint" class="hint">
        Fixed headers every request carries (routing hints, tenant ids). Values are stored encrypted and never shown
        again: leave a value empty to keep it.
      </p>
      <div class="header-rows">
        {p.hook.headers.map((name, i) => (
          <>
            <span>
              <input type="hidden" name={`header_name_${i}`} value={name} />
              <code>{name}</code>
            </span>
            <input
              type="password"
              name={`header_value_${i}`}
              aria-label={`New value for ${name}`}
              placeholder="unchanged"
              autocomplete="off"
            />
            <label class="check">
              <input type="checkbox" name={`header_remove_${i}`} value="yes" /> Remove
            </label>
          </>
        ))}
        {Array.from({ length: spare }, (_, i) => (
          <>
            <input
              type="text"
              name={`new_header_name_${i}`}
              aria-label={`New header ${i + 1}: name`}
              placeholder="Header name"
              value={p.posted ? text(p.posted, `new_header_name_${i}`) : undefined}
            />
            <input
              type="password"
              name={`new_header_value_${i}`}
              aria-label={`New header ${i + 1}: value`}
              placeholder="Value"
              autocomplete="off"
            />
            <span />
          </>
        ))}
      </div>
      <FieldErrors id="headers-error" errors={errors} />
    </fieldset>
  );
};
