// A webhook's rules as field errors (paths relative to the webhook: url, headers.X-Team, events.2), shared by the
// REST API, the console and settings as code through config.ts.
import type { Env } from "../env";
import { validateCustomHeaders } from "../domain/custom-headers";
import { destinationHost, unknownEventTypes } from "../domain/webhook-input";
import { secretProblem } from "../domain/secret-rules";
import { InvalidInput, type FieldError } from "../domain/problems";
import { devDestinationHosts, headerPrefix } from "../config";

/** Throws the field errors as one InvalidInput (nothing was changed). */
export function invalid(errors: FieldError[]): never {
  throw new InvalidInput(errors, errors.map((e) => `${e.path} ${e.message}`).join("; "));
}

/** What the address rules say of a URL (https only, no internal address), as field errors. */
export function urlErrors(env: Env, url: string): FieldError[] {
  const verdict = destinationHost(url, devDestinationHosts(env));
  return "error" in verdict ? [verdict.error] : [];
}

/** The URL's host, when the address rules allow it. */
export function checkedHost(env: Env, url: string): string {
  const verdict = destinationHost(url, devDestinationHosts(env));
  if ("error" in verdict) invalid([verdict.error]);
  return verdict.host;
}

export function headerErrors(env: Env, headers: Record<string, string>): FieldError[] {
  return validateCustomHeaders(headers, headerPrefix(env));
}

/** A user-supplied secret's length and whsec_ rules (secret-rules.ts), as field errors. */
export function secretErrors(secret: string | null | undefined): FieldError[] {
  const problem = secret === null || secret === undefined ? null : secretProblem(secret);
  return problem ? [{ path: "secret", message: problem }] : [];
}

/** Event types must be in the catalog or the site's own (`custom`). */
export function eventErrors(events: readonly string[], custom: ReadonlySet<string>): FieldError[] {
  return unknownEventTypes(events, custom).map((u) => ({
    path: `events.${u.index}`,
    message: `unknown event type ${u.type} (see GET /v1/sites/{site}/event-types)`,
  }));
}
