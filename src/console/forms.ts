// Reading posted forms. Values arrive as strings; the console turns them into the shapes the API takes and lets the
// shared zod schemas and services judge them, so no rule is written here a second time.
import type { Context } from "hono";
import type { ConsoleEnv } from "./context";

export type Form = Record<string, string | File | (string | File)[]>;

/** The posted form (parsed once per request; repeated names become arrays). */
export async function readForm(c: Context<ConsoleEnv>): Promise<Form> {
  return (await c.req.parseBody({ all: true })) as Form;
}

/** A text field, trimmed; undefined when absent or empty. */
export function text(form: Form, name: string): string | undefined {
  const v = form[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  if (typeof s !== "string") return undefined;
  const t = s.trim();
  return t === "" ? undefined : t;
}

/** Every value of a repeated field (checkboxes), as strings. */
export function texts(form: Form, name: string): string[] {
  const v = form[name];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter((x): x is string => typeof x === "string");
}

export const checked = (form: Form, name: string) => text(form, name) !== undefined;

/** A number field: the number, or the text as typed (so the schema names the field when it is not one). */
export function numberOrText(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/** A path inside the console to go back to after a post; anything else falls back to `fallback`. */
export function backTo(form: Form, fallback: string): string {
  const back = text(form, "back");
  return back && /^\/console\/[^\s\\]*$/.test(back) && !back.startsWith("//") ? back : fallback;
}
