// The console's typed Hono context: who is signed in, their session, and the CSRF token every form carries.
import { Hono } from "hono";
import type { Env } from "../env";
import type { Auth } from "../api/router";
import type { Session } from "../domain/console-session";

export interface ConsoleVars {
  auth: Auth;
  session: Session;
  csrf: string;
  /** D1 round trips so far in this request (when BENCH_METRICS is on). */
  trips?: () => number;
}

export type ConsoleEnv = { Bindings: Env; Variables: ConsoleVars };

export const newConsoleRouter = () => new Hono<ConsoleEnv>();

/** Where the console lives: every link is built from here. */
export const BASE = "/console";

export const sitePath = (site: string, rest = "") => `${BASE}/sites/${encodeURIComponent(site)}${rest}`;
export const webhookPath = (site: string, id: string, rest = "") =>
  sitePath(site, `/webhooks/${encodeURIComponent(id)}${rest}`);
