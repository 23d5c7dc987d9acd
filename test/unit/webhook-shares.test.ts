import { describe, expect, it } from "vitest";
import { leaseRounds, webhookShares } from "../../src/delivery/webhook-shares";

describe("webhook shares of a consumer batch", () => {
  it("leases each position until its webhook's last delivery in the batch is sent", () => {
    // Lanes of 2: positions 0–1 go in round 0, 2–3 in round 1, 4 in round 2.
    expect(leaseRounds(["a", "b", "a", "c", "a"], 2)).toEqual([2, 0, 2, 1, 2]);
    expect(leaseRounds([], 6)).toEqual([]);
  });

  it("hands over a webhook's items together once each of its deliveries is added or skipped", () => {
    const recorded: string[][] = [];
    const shares = webhookShares<string>(["a", "b", "a", "a"], (items) => recorded.push(items));
    shares.add("a", "a1");
    shares.add("b", "b1");
    expect(recorded).toEqual([["b1"]]);
    shares.skip("a");
    expect(recorded).toEqual([["b1"]]);
    shares.add("a", "a3");
    expect(recorded).toEqual([["b1"], ["a1", "a3"]]);
  });

  it("records nothing for a webhook whose deliveries were all skipped", () => {
    const recorded: string[][] = [];
    const shares = webhookShares<string>(["a"], (items) => recorded.push(items));
    shares.skip("a");
    expect(recorded).toEqual([]);
  });
});
