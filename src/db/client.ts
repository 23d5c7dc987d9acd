import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof database>;

export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** A real query, for /health. */
export async function ping(d1: D1Database): Promise<void> {
  await d1.prepare("SELECT 1 FROM sites LIMIT 1").all();
}
