// The `sgen` format (the default): the envelope, `P-*` headers, `P-Signature: t=…,v1=…` and, for whsec_ secrets,
// the Standard Webhooks headers.
import { envelopeWithDetail } from "../envelope";
import { deliveryHeaders } from "../delivery-request";
import { signatureHeaders } from "../signing";
import type { WebhookFormat } from "./types";

export const sgen: WebhookFormat = {
  render: (event, { includeDetail }) => envelopeWithDetail(event.envelope, event.detail, includeDetail),
  headers: async (i) =>
    deliveryHeaders({
      ...i,
      signature: await signatureHeaders({
        prefix: i.prefix,
        secrets: i.secrets,
        eventId: i.eventId,
        t: i.t,
        body: i.body,
      }),
    }),
  defaults: {},
};
