// Error pages: what went wrong in words, and a way back. Never a stack trace.
import type { Context } from "hono";
import { BASE, type ConsoleEnv } from "../context";
import { Shell, page } from "../ui";

const TITLES: Record<number, string> = {
  401: "Signed out",
  403: "Not allowed",
  404: "Not found",
  409: "Not possible now",
  422: "Not understood",
  500: "Something went wrong",
};

export function renderError(c: Context<ConsoleEnv>, status: 401 | 403 | 404 | 409 | 422 | 500, message: string) {
  const title = TITLES[status]!;
  const body = (
    <Shell title={title}>
      <h1>{title}</h1>
      <p role="alert">{message}</p>
      <p>
        <a href={status === 401 ? `${BASE}/sign-in` : BASE}>{status === 401 ? "Sign in" : "Back to the console"}</a>
      </p>
    </Shell>
  );
  if (status === 500) return c.html(`<!doctype html>${String(body)}`, 500);
  return page(c, body, status);
}
