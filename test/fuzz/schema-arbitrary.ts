// fast-check arbitraries from the OpenAPI document's JSON schemas: values that mostly fit the schema (so requests
// get past the first check and reach the rules behind it) with wrong values mixed in at every level.
import fc from "fast-check";

export type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
  example?: unknown;
};

/** Strings an attacker tries: empty, huge, control characters, other scripts, path tricks, SQL and JSON shapes. */
export const hostileString = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\r\nX-Injected: 1",
    "../../etc/passwd",
    "' OR 1=1 --",
    '{"a":1}',
    "null",
    "NaN",
    "-1",
    "1e309",
    "９９",
    "é́́́",
    "\ud800",
    "<script>alert(1)</script>",
    "https://localhost../h",
    "http://169.254.169.254/latest",
    "whsec_",
    "root",
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ minLength: 2000, maxLength: 5000 }),
  // Looks like one of our cursors (base64url of JSON) but holds anything.
  fc.jsonValue({ maxDepth: 1 }).map((v) => btoa(JSON.stringify(v).replace(/[^\x20-\x7e]/g, "?")).replace(/=+$/, "")),
);

/** Cursors of every shape but ours: base64 of arrays of the wrong length or types, or of anything else. */
export const hostileCursor = fc
  .oneof(
    fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.double(), fc.boolean(), fc.constant(null)), { maxLength: 3 }),
    fc.jsonValue({ maxDepth: 1 }),
  )
  .map((v) => btoa(JSON.stringify(v).replace(/[^\x20-\x7e]/g, "?")).replace(/=+$/, ""));

const wrong = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString);

export function resolve(schema: Schema, components: Record<string, Schema>): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  return resolve(components[name] ?? {}, components);
}

/** A value for `schema`: right in shape most of the time, with wrong values at random depths. */
export function fromSchema(schema: Schema, components: Record<string, Schema>, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  const right = rightFor(s, components, depth);
  return fc.oneof({ weight: 6, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

function rightFor(s: Schema, components: Record<string, Schema>, depth: number): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.constant(null);
  if (s.enum) return fc.oneof(fc.constantFrom(...s.enum), hostileString);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => fromSchema(a, components, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "string":
      return stringFor(s);
    case "integer":
    case "number":
      return numberFor(s, type === "integer");
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(fromSchema(s.items ?? {}, components, depth + 1), {
        minLength: 0,
        maxLength: Math.min(s.maxItems ?? 5, 12) + 2,
      });
    case "object":
      return objectFor(s, components, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(s: Schema): fc.Arbitrary<unknown> {
  const examples = typeof s.example === "string" ? [s.example] : [];
  const dates = s.format === "date-time" ? ["2026-05-22T14:03:18Z", "2026-13-45T99:99:99Z", "yesterday"] : [];
  const edges = [
    ...(s.maxLength !== undefined ? ["x".repeat(s.maxLength), "x".repeat(s.maxLength + 1)] : []),
    ...(s.minLength ? ["x".repeat(Math.max(0, s.minLength - 1))] : []),
  ];
  const known = [...examples, ...dates, ...edges];
  return known.length ? fc.oneof(fc.constantFrom(...known), hostileString) : hostileString;
}

function numberFor(s: Schema, integer: boolean): fc.Arbitrary<unknown> {
  const edges = [s.minimum, s.maximum].filter((n): n is number => n !== undefined).flatMap((n) => [n, n - 1, n + 1]);
  return fc.oneof(
    fc.constantFrom(0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, ...edges),
    integer ? fc.integer() : fc.double({ noNaN: true }),
  );
}

function objectFor(s: Schema, components: Record<string, Schema>, depth: number): fc.Arbitrary<unknown> {
  const props = s.properties ?? {};
  const keys = Object.keys(props);
  if (!keys.length) {
    return fc.dictionary(hostileString, fc.oneof(fc.string({ maxLength: 30 }), wrong), { maxKeys: 25 });
  }
  const fields = Object.fromEntries(keys.map((k) => [k, fromSchema(props[k]!, components, depth + 1)]));
  const known = fc.record(fields, { requiredKeys: (s.required ?? []).filter((k) => k in fields) });
  // Sometimes a field too many, or one of the required ones missing.
  return fc.oneof(
    { weight: 5, arbitrary: known },
    {
      weight: 1,
      arbitrary: fc.tuple(known, hostileString, wrong).map(([o, k, v]) => ({ ...(o as object), [k || "extra"]: v })),
    },
    { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
  );
}
