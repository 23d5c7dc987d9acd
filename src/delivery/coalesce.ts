// Group commit: calls that arrive while a commit is running wait for the next one and share it. Under load
// many deliveries share one D1 round trip; a lone delivery does not wait for company.

export type Coalesced<T, R> = (item: T) => Promise<R>;

/** `commit` gets the items of one group and returns one result per item, in order. */
export function coalesce<T, R>(commit: (items: T[]) => Promise<R[]>): Coalesced<T, R> {
  let waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = false;

  const drain = async () => {
    running = true;
    while (waiting.length) {
      const group = waiting;
      waiting = [];
      try {
        const results = await commit(group.map((w) => w.item));
        group.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    running = false;
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // A microtask later, so calls made in the same turn start out in one group.
      if (!running) {
        running = true;
        queueMicrotask(() => void drain());
      }
    });
}
