// Rules every JSON body under /v1 meets before a route reads it: it is JSON (415), it is small (413, counted as
// the bytes arrive, so a chunked body without Content-Length is held to the limit too), and it nests at most
// MAX_JSON_DEPTH deep (422).
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_JSON_DEPTH, jsonDepth } from "../../domain/json-depth";
import { MAX_BATCH_BYTES } from "../../domain/event-input";
import { ProblemError } from "../problem";
import type { AppEnv } from "../router";

/** Admin bodies are small; ingest takes up to 64 KiB an event and 1 MiB a batch. */
export const ADMIN_BODY_LIMIT = 64 * 1024;
const INGEST_ROUTE = /^\/v1\/sites\/[^/]+\/events(\/batch)?$/;
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\b/i;

export function tooLarge(limit: number) {
  return bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ProblemError(413, "Payload too large", `The body exceeds ${limit / 1024} KiB`);
    },
  });
}

const adminLimit = tooLarge(ADMIN_BODY_LIMIT);
// The largest ingest body; the single-event route holds its own body to 64 KiB after this.
const ingestLimit = tooLarge(MAX_BATCH_BYTES);

export const jsonBodyRules: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!["POST", "PUT", "PATCH"].includes(c.req.method) || c.req.raw.body === null) return next();
  if (c.req.header("content-length") !== "0" && !JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    throw new ProblemError(415, "Unsupported media type", "Send the body as application/json");
  }
  const checkDepth = async () => {
    if (jsonDepth(await c.req.text()) > MAX_JSON_DEPTH) {
      throw new ProblemError(422, "Validation failed", `The body nests deeper than ${MAX_JSON_DEPTH} levels`, [
        { path: "body", message: `nests deeper than ${MAX_JSON_DEPTH} levels` },
      ]);
    }
    await next();
  };
  return (INGEST_ROUTE.test(c.req.path) ? ingestLimit : adminLimit)(c, checkDepth);
};
