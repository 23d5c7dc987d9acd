// STUB (helper "domain" implements): the envelope receivers get.
export interface SiteRef { id: string; slug: string; host: string }
export interface Actor { id?: string; email?: string }
export interface Target { type: string; id: string | number; title?: string; url?: string }
export interface EnvelopeFields {
  event_id: string;
  event_type: string;
  fired_at: string;
  site: SiteRef;
  actor: Actor | null;
  target: Target;
}
/** The envelope without `detail`, keys in contract order, as a JSON string. */
export function envelopeBody(e: EnvelopeFields): string {
  throw new Error("stub");
}
/** Appends `"detail":…` as the last key when the webhook asked for it and the event carried one. */
export function envelopeWithDetail(body: string, detailJson: string | null, includeDetail: boolean): string {
  throw new Error("stub");
}
/** Ordering key of a target: `${type}:${id}`. */
export function targetKey(target: Pick<Target, "type" | "id">): string {
  return `${target.type}:${target.id}`;
}
