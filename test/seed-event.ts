// The seed's example event (a published blog post), as the envelope's fields: the unit tests of the envelope and of
// the formats render it.
import type { EnvelopeFields } from "../src/domain/envelope";

export const SEED_EVENT_FIELDS: EnvelopeFields = {
  event_id: "evt_2026_05_22_a4b1c9d2",
  event_type: "post.published",
  fired_at: "2026-05-22T14:03:18Z",
  site: { id: "site_yoursite", slug: "yoursite", host: "yoursite.com" },
  actor: { id: "user_ada", email: "ada@yoursite.com" },
  target: {
    type: "post",
    id: 4421,
    title: "Spring 2026 product update",
    url: "https://yoursite.com/blog/spring-2026-product-update",
  },
};
