// One typed router factory for every resource, so validation failures everywhere become the same 422.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "../env";
import type { IngestContext } from "../db/ingest";
import { ProblemError, zodFieldErrors } from "./problem";
import { keyActor, ROOT_ACTOR, type Actor } from "../domain/actor";

export type Role = "ingest" | "viewer" | "integrations-admin";

export type Auth = { kind: "root" } | { kind: "key"; keyId: string; siteId: string; role: Role; name: string };

/** `ingestContext`: what the auth middleware read of the site for an ingest request (see identifyForIngest). */
export type AppEnv = { Bindings: Env; Variables: { auth: Auth; ingestContext?: IngestContext } };

export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        // Body fields are named as they are in the JSON ("url"); path and query parts by their target.
        const prefix = result.target === "json" ? "" : result.target;
        throw new ProblemError(
          422,
          "Validation failed",
          "The request has invalid fields",
          zodFieldErrors(result.error, prefix),
        );
      }
    },
  });
}

/** Who the caller is for the audit log: root, or the key by its id (its name only for people to read). */
export function actorOf(auth: Auth): Actor {
  return auth.kind === "root" ? ROOT_ACTOR : keyActor(auth.keyId, auth.name);
}
