// The OpenAPI document the Worker serves is the one committed as docs/openapi.json, which `npm test` lints
// with Redocly (scripts/openapi-lint.mjs). A route change without `npm run openapi` fails here.
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import committed from "../../docs/openapi.json";

it("serves exactly the committed docs/openapi.json", async () => {
  const res = await exports.default.fetch(new Request("http://edgehooks.test/openapi.json"));
  expect(res.status).toBe(200);
  expect(await res.json(), "docs/openapi.json is stale: run `npm run openapi` and commit it").toEqual(committed);
});
