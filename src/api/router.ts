// One typed router factory for every resource, so validation failures everywhere become the same 422.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "../env";
import { ProblemError, zodFieldErrors } from "./problem";

export type Role = "ingest" | "viewer" | "integrations-admin";

export type Auth = { kind: "root" } | { kind: "key"; keyId: string; siteId: string; role: Role; name: string };

export type AppEnv = { Bindings: Env; Variables: { auth: Auth } };

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

export function actorName(auth: Auth): string {
  return auth.kind === "root" ? "root" : auth.name;
}
