// Every error leaves as application/problem+json: {type, title, status, detail, errors: [{path, message}]}.
import type { ZodError } from "zod";
import { Conflict, InvalidInput, NotFound, QuotaExceeded, type FieldError } from "../domain/problems";

export type { FieldError };

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail ?? title);
  }
}

const TYPE_BASE = "https://edgehooks.dev/problems/";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Validation failed",
  429: "Too many requests",
  500: "Internal error",
  503: "Service unavailable",
};

export function problemBody(status: number, title?: string, detail?: string, errors: FieldError[] = []) {
  const t = title ?? TITLES[status] ?? "Error";
  return {
    type: TYPE_BASE + t.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
    title: t,
    status,
    detail: detail ?? t,
    errors,
  };
}

export function problemResponse(
  status: number,
  title?: string,
  detail?: string,
  errors: FieldError[] = [],
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(problemBody(status, title, detail, errors)), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

export function zodFieldErrors(error: ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== "").join("."),
    message: issue.message,
  }));
}

/** The problem a service's error stands for, or null when it is not one of ours (a bug: 500). */
export function problemFor(err: unknown): ProblemError | null {
  if (err instanceof ProblemError) return err;
  if (err instanceof InvalidInput) return new ProblemError(422, "Validation failed", err.message, err.errors);
  if (err instanceof NotFound) return new ProblemError(404, "Not found", err.message);
  if (err instanceof QuotaExceeded) return new ProblemError(409, "Quota exceeded", err.message);
  if (err instanceof Conflict) return new ProblemError(409, "Conflict", err.message);
  return null;
}
