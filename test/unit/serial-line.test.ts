// The sequencer's serial section: calls run one at a time, and their queue sends wait outside it.
import { describe, expect, it } from "vitest";
import { SerialLine, type QueuedSend } from "../../src/sequencer/serial-line";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const send = (id: string): QueuedSend => ({
  webhookId: "wh_1",
  siteId: "site_1",
  paced: false,
  ids: [id],
  delaySeconds: 0,
});

describe("SerialLine", () => {
  it("lets the next call run while the previous call's queue send is still under way", async () => {
    const queue = deferred();
    const delivered: string[] = [];
    const line = new SerialLine(async (sends) => {
      await queue.promise;
      delivered.push(...sends.flatMap((s) => s.ids));
    });
    const order: string[] = [];
    let firstDone = false;
    const first = line
      .run(async () => {
        order.push("first");
        await line.send(send("dlv_a"));
      })
      .then(() => (firstDone = true));
    const second = line.run(async () => {
      order.push("second");
      return "ran";
    });

    expect(await second).toBe("ran"); // the line did not wait for the first call's send
    expect(order).toEqual(["first", "second"]);
    expect(firstDone).toBe(false); // but its caller does
    queue.resolve();
    await first;
    expect(delivered).toEqual(["dlv_a"]);
  });

  it("sends what a failed section released, and still reports the failure", async () => {
    const delivered: string[] = [];
    const line = new SerialLine(async (sends) => void delivered.push(...sends.flatMap((s) => s.ids)));
    const failed = line.run(async () => {
      await line.send(send("dlv_b"));
      throw new Error("D1 went away");
    });
    await expect(failed).rejects.toThrow("D1 went away");
    expect(delivered).toEqual(["dlv_b"]);
    expect(await line.run(async () => "next")).toBe("next");
  });

  it("sends at once outside a section", async () => {
    const delivered: string[] = [];
    const line = new SerialLine(async (sends) => void delivered.push(...sends.flatMap((s) => s.ids)));
    await line.send(send("dlv_c"));
    expect(delivered).toEqual(["dlv_c"]);
  });
});
