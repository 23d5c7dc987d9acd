// A consumer batch records its outcomes one webhook's share at a time: all of a webhook's deliveries in the batch
// in one group, once the last of them has been tried (group commits still gather the shares that finish together).
//
// Why by webhook: the webhook's sequencer hears of the share's outcomes only when the whole share is settled (one
// call per webhook per batch, settle-lines.ts), so waiting for the share delays no release of its line; and one
// write per share instead of one per few outcomes is what keeps D1 statements per delivery low (a single
// database serves every delivery of its sites, one statement at a time). A slow receiver still holds up only its
// own webhook's share. The cost: a delivery's row shows its outcome once its share is done, not at once, so its
// lease must last until then (leaseRounds).

/**
 * The lease round of each position in the lanes' order: how many rounds of `lanes` sends may pass before the
 * position's outcome is recorded, which is when the last delivery of its webhook in the batch has been sent.
 */
export function leaseRounds(webhookIds: readonly string[], lanes: number): number[] {
  const last = new Map<string, number>();
  webhookIds.forEach((webhookId, position) => last.set(webhookId, position));
  return webhookIds.map((webhookId) => Math.floor(last.get(webhookId)! / lanes));
}

/**
 * Collects each webhook's items and hands them to `record` together once every one of its deliveries in the batch
 * has either an item (`add`) or none to come (`skip`: not sent this time).
 */
export function webhookShares<T>(webhookIds: readonly string[], record: (items: T[]) => void) {
  const left = new Map<string, number>();
  for (const id of webhookIds) left.set(id, (left.get(id) ?? 0) + 1);
  const items = new Map<string, T[]>();
  const finish = (webhookId: string) => {
    const n = (left.get(webhookId) ?? 1) - 1;
    left.set(webhookId, n);
    if (n > 0) return;
    const share = items.get(webhookId) ?? [];
    items.delete(webhookId);
    if (share.length) record(share);
  };
  return {
    add(webhookId: string, item: T) {
      const share = items.get(webhookId) ?? [];
      share.push(item);
      items.set(webhookId, share);
      finish(webhookId);
    },
    skip: finish,
  };
}
