// The event catalog: the 23 SGEN event types and the three page lifecycle types (26 in all).
export type EventFamily = "Content" | "Commerce" | "Identity" | "Forms" | "Site state" | "Backups";

export interface EventTypeInfo {
  type: string;
  family: EventFamily;
  description: string;
}

export const EVENT_TYPES: readonly EventTypeInfo[] = [
  { type: "post.created", family: "Content", description: "A post was created (as a draft)." },
  { type: "post.updated", family: "Content", description: "A post's content or settings changed." },
  { type: "post.published", family: "Content", description: "A post went live." },
  { type: "post.unpublished", family: "Content", description: "A live post was taken offline." },
  { type: "post.scheduled", family: "Content", description: "A post was scheduled to publish later." },
  { type: "post.deleted", family: "Content", description: "A post was deleted." },
  { type: "page.created", family: "Content", description: "A page was created (as a draft)." },
  { type: "page.updated", family: "Content", description: "A page's content or settings changed." },
  { type: "page.published", family: "Content", description: "A page went live." },
  { type: "page.unpublished", family: "Content", description: "A live page was taken offline." },
  { type: "page.deleted", family: "Content", description: "A page was deleted." },
  { type: "media.uploaded", family: "Content", description: "A file was added to the media library." },
  { type: "media.deleted", family: "Content", description: "A file was removed from the media library." },
  { type: "comment.created", family: "Content", description: "A visitor left a comment." },
  { type: "order.created", family: "Commerce", description: "A customer placed an order." },
  { type: "order.paid", family: "Commerce", description: "An order's payment succeeded." },
  { type: "order.refunded", family: "Commerce", description: "An order was refunded, in full or in part." },
  { type: "user.created", family: "Identity", description: "A user account was created." },
  { type: "user.updated", family: "Identity", description: "A user's profile or role changed." },
  { type: "user.deleted", family: "Identity", description: "A user account was deleted." },
  { type: "member.subscribed", family: "Identity", description: "A visitor subscribed to the site." },
  { type: "form.submitted", family: "Forms", description: "A visitor submitted a form." },
  { type: "site.published", family: "Site state", description: "The whole site was published (a deploy)." },
  {
    type: "site.settings_updated",
    family: "Site state",
    description: "Site-wide settings changed (domain, theme, SEO).",
  },
  { type: "backup.completed", family: "Backups", description: "A site backup finished and is restorable." },
  { type: "backup.failed", family: "Backups", description: "A site backup failed." },
];

/** Sent by POST …/test; not in the catalog, never subscribed to, never ingested. */
export const TEST_EVENT_TYPE = "webhook.test";

const KNOWN = new Set(EVENT_TYPES.map((e) => e.type));

export function isKnownEventType(type: string): boolean {
  return KNOWN.has(type);
}
