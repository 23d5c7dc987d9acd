// What can be wrong with a request, said without HTTP: services throw these, and the API (or the console) turns
// them into its own answer (a 422, 404 or 409 problem; a form with its errors).

/** A wrong field, named by its path in the JSON ("url", "headers.X-Team", "events.2"). */
export interface FieldError {
  path: string;
  message: string;
}

/** The input breaks a rule; nothing was changed. */
export class InvalidInput extends Error {
  constructor(
    readonly errors: FieldError[],
    detail = errors.map((e) => `${e.path} ${e.message}`).join("; "),
  ) {
    super(detail);
  }
}

/** The thing does not exist, or the caller may not know that it does. */
export class NotFound extends Error {
  constructor(readonly what: string) {
    super(`${what} not found`);
  }
}

/** The request conflicts with the current state; nothing was changed. */
export class Conflict extends Error {}

/** The change would take the site past one of the deployment's quotas; nothing was changed. */
export class QuotaExceeded extends Conflict {
  constructor(
    /** The deployment variable that sets it (WEBHOOKS_PER_SITE). */
    readonly quota: string,
    readonly limit: number,
    detail: string,
  ) {
    super(detail);
  }
}
