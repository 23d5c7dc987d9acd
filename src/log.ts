// One structured log line per call: {"level","msg",...fields} as JSON, which Workers Logs indexes by field.
// Values under names that could hold a credential are replaced, so a careless field never leaks one.
export type LogLevel = "debug" | "info" | "warn" | "error";

const SENSITIVE = /secret|token|password|authorization|signature|headers_enc|secrets_enc/i;

function clean(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SENSITIVE.test(k)) out[k] = "[redacted]";
    else if (v instanceof Error) out[k] = String(v);
    else out[k] = v;
  }
  return out;
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...clean(fields) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
