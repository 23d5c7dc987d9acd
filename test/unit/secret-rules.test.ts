import { describe, expect, it } from "vitest";
import { secretProblem } from "../../src/domain/secret-rules";

const whsec = (bytes: number) => `whsec_${btoa("k".repeat(bytes))}`;

describe("secret rules", () => {
  it("takes 16 characters or more", () => {
    expect(secretProblem("sixteen-chars-xx")).toBeNull();
    expect(secretProblem("fifteen-chars-x")).toMatch(/at least 16/);
    expect(secretProblem("x".repeat(257))).toMatch(/at most 256/);
  });

  it("takes a whsec_ secret of 24 to 64 bytes only", () => {
    expect(secretProblem(whsec(24))).toBeNull();
    expect(secretProblem(whsec(64))).toBeNull();
    expect(secretProblem(whsec(23))).toMatch(/24–64 bytes/);
    expect(secretProblem(whsec(65))).toMatch(/24–64 bytes/);
    expect(secretProblem("whsec_!!!!!!!!!!!!!!!!!!!!")).toMatch(/base64/);
  });
});
