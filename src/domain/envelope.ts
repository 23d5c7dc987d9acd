// The envelope receivers get: keys in a fixed order, no extra keys, `actor` null when the
// producer sent none, `detail` last and only when the webhook asked for it and the event carried one.
export interface SiteRef {
  id: string;
  slug: string;
  host: string;
}

export interface Actor {
  id?: string;
  email?: string;
}

export interface Target {
  type: string;
  id: string | number;
  title?: string;
  url?: string;
}

export interface EnvelopeFields {
  event_id: string;
  event_type: string;
  fired_at: string;
  site: SiteRef;
  actor: Actor | null;
  target: Target;
}

/** The envelope without `detail`, as a JSON string. Objects are rebuilt so key order never depends on input. */
export function envelopeBody(e: EnvelopeFields): string {
  const actor =
    e.actor === null
      ? null
      : {
          ...(e.actor.id !== undefined && { id: e.actor.id }),
          ...(e.actor.email !== undefined && { email: e.actor.email }),
        };
  const target = {
    type: e.target.type,
    id: e.target.id,
    ...(e.target.title !== undefined && { title: e.target.title }),
    ...(e.target.url !== undefined && { url: e.target.url }),
  };
  return JSON.stringify({
    event_id: e.event_id,
    event_type: e.event_type,
    fired_at: e.fired_at,
    site: { id: e.site.id, slug: e.site.slug, host: e.site.host },
    actor,
    target,
  });
}

/** Appends `"detail":…` as the last key when the webhook asked for it and the event carried one. */
export function envelopeWithDetail(body: string, detailJson: string | null, includeDetail: boolean): string {
  if (!includeDetail || detailJson === null) return body;
  return `${body.slice(0, -1)},"detail":${detailJson}}`;
}

/** Ordering key of a target: deliveries of one target to one webhook go out in event order. */
export function targetKey(target: Pick<Target, "type" | "id">): string {
  return `${target.type}:${target.id}`;
}
