// ESLint for src/, test/, scripts/ and bench/: the recommended JS and typescript-eslint rules, Prettier's
// formatting rules switched off (Prettier owns the layout), and the layer rules of the source tree
// enforced with eslint-plugin-boundaries. The layers are described in docs/architecture.md.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import boundaries from "eslint-plugin-boundaries";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

// ---- Layers of src/ ----------------------------------------------------------------------------------------
// Elements are folders; the file categories below tell the files of one folder apart where the rules need it
// (the root files of src/, and the infrastructure, app and route files of api/).
const elements = [
  { type: "domain", pattern: "src/domain", partialMatch: false },
  { type: "db", pattern: "src/db", partialMatch: false },
  { type: "service", pattern: "src/delivery", partialMatch: false },
  { type: "service", pattern: "src/logs", partialMatch: false },
  { type: "service", pattern: "src/sequencer", partialMatch: false },
  { type: "service", pattern: "src/webhooks", partialMatch: false },
  { type: "service", pattern: "src/jobs", partialMatch: false },
  { type: "api", pattern: "src/api", partialMatch: false },
  { type: "console", pattern: "src/console", partialMatch: false },
];

// First match wins (files-single-match), so the catch-all "route" categories come last.
const files = [
  { category: "entry", pattern: "src/{index,scheduled}.ts" },
  { category: "shared", pattern: "src/{env,log,metrics,version,config}.ts" },
  { category: "api-app", pattern: "src/api/app.ts" },
  { category: "api-infra", pattern: ["src/api/{router,problem,openapi-common}.ts", "src/api/middleware/**"] },
  { category: "webhooks-index", pattern: "src/api/webhooks/index.ts" },
  { category: "webhooks-schemas", pattern: "src/api/webhooks/schemas.ts" },
  { category: "webhooks-concern", pattern: "src/api/webhooks/*.{ts,tsx}" },
  { category: "api-route", pattern: "src/api/*.{ts,tsx}" },
];

// Selectors for the policies below.
const el = (type) => ({ element: { type } });
const file = (category) => ({ file: { categories: category } });
const DOMAIN = el("domain");
const DB = el("db");
const SERVICE = el("service");
const CONSOLE = el("console");
const SHARED = file("shared");
const API_INFRA = file("api-infra");
const ROUTE = file("api-route");
const WEBHOOKS_INDEX = file("webhooks-index");
const WEBHOOKS_SCHEMAS = file("webhooks-schemas");
const WEBHOOKS_CONCERN = file("webhooks-concern");
/** Any route file: the ones in api/ and the whole api/webhooks/ folder. */
const ANY_ROUTE = [ROUTE, WEBHOOKS_INDEX, WEBHOOKS_SCHEMAS, WEBHOOKS_CONCERN];
/** What a route file (api/ or console/) may use: api infrastructure and every layer below it. */
const BELOW_ROUTES = [API_INFRA, SERVICE, DB, DOMAIN, SHARED];
const NPM = { module: { origin: ["external", "core"] } };
/** Every file of src/: those in a layer folder and the categorised files at the root of src/. */
const ANY = [{ element: { type: "*" } }, { file: { categories: "*" } }];

const policies = [
  // npm libraries and Node/Workers built-ins: anyone (domain's exceptions follow).
  { from: ANY, allow: { to: NPM } },
  // domain: pure. Only domain/ and npm libraries; never the HTTP framework or the data layer.
  { from: DOMAIN, allow: { to: DOMAIN } },
  {
    from: DOMAIN,
    disallow: { to: { module: { source: ["hono", "hono/**", "@hono/**", "drizzle-orm", "drizzle-orm/**"] } } },
    message: "domain/ is pure: it may not import {{ to.module.source }} (no HTTP framework, no data layer)",
  },
  {
    from: DOMAIN,
    disallow: { to: { module: { source: "cloudflare:*" } } },
    message: "domain/ is pure: no {{ to.module.source }}",
  },
  // db: every SQL string; itself and domain types.
  { from: DB, allow: { to: [DB, DOMAIN] } },
  // services: each other, db, domain, shared.
  { from: SERVICE, allow: { to: [SERVICE, DB, DOMAIN, SHARED] } },
  // shared modules (env, log, metrics, version): each other and domain.
  { from: SHARED, allow: { to: [SHARED, DOMAIN] } },
  // api infrastructure: itself and below.
  { from: API_INFRA, allow: { to: BELOW_ROUTES } },
  // the app mounts the routers: infrastructure, api/*.ts route files and the api/webhooks/ route table.
  { from: file("api-app"), allow: { to: [...BELOW_ROUTES, ROUTE, WEBHOOKS_INDEX] } },
  // route files: infrastructure and below, never another route file...
  { from: ANY_ROUTE, allow: { to: BELOW_ROUTES } },
  // ...except inside api/webhooks/: the route table mounts the concern files, which share schemas.ts.
  { from: WEBHOOKS_INDEX, allow: { to: [WEBHOOKS_CONCERN, WEBHOOKS_SCHEMAS] } },
  { from: WEBHOOKS_CONCERN, allow: { to: WEBHOOKS_SCHEMAS } },
  // console pages: like route files, plus their own internals; never an api route file.
  { from: CONSOLE, allow: { to: [...BELOW_ROUTES, CONSOLE] } },
  // entry points (index.ts, scheduled.ts): anything.
  { from: file("entry"), allow: { to: ANY } },
];

export default defineConfig(
  globalIgnores([".wrangler/", ".e2e/", "bench/.state/", "bench/history/", "docs/", "worker-configuration.d.ts"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,mts}"],
    languageOptions: { globals: { ...globals.worker } },
  },
  {
    rules: {
      // `_name` marks a parameter a signature needs but the body does not use (e.g. scheduled's ctx).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // `catch {}` is how best-effort cleanup says "ignore"; other empty blocks stay errors.
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  {
    // Tests read JSON bodies they assert on field by field (the receiver's record of a delivery included);
    // typing every response adds nothing there.
    files: ["test/**", "scripts/receiver-lib.d.mts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Node scripts: the dev runner, the receiver, the bench and chaos drivers, the e2e harness.
    files: ["scripts/**", "bench/*.mjs", "test/e2e/**", "test/browser/**", "examples/**", "*.config.{js,ts}", "*.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["src/**/*.{ts,tsx}"],
    plugins: { boundaries },
    settings: {
      "boundaries/elements": elements,
      "boundaries/files": files,
      "boundaries/files-single-match": true,
      "boundaries/dependency-nodes": ["import", "export", "dynamic-import"],
      "import/resolver": { node: { extensions: [".ts", ".tsx", ".d.ts", ".js", ".mjs"] } },
    },
    rules: {
      "boundaries/dependencies": [
        "error",
        { default: "disallow", checkAllOrigins: true, checkInternals: true, checkUnknownLocals: true, policies },
      ],
      // Every file under src/ belongs to a layer.
      "boundaries/no-unknown-files": "error",
    },
  },
  {
    // Bindings reached only through their one accessor (one block: a later no-restricted-syntax would replace this
    // one, so the two accessor modules are both exempt here; neither touches the other's binding).
    // - `wrangler types` declares every queue as Queue<unknown>, so a send straight on the binding would take any
    //   body. Messages go through the typed accessor in delivery/messages.ts.
    // - A site's rows are in the database db/route.ts routes it to; `env.DB` is only the default one.
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/delivery/messages.ts", "src/db/route.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[property.name='DB']",
          message: "Get a database from db/route.ts (databaseFor, allDatabases): env.DB holds only some sites.",
        },
        {
          selector:
            "CallExpression[callee.property.name=/^send(Batch)?$/][callee.object.property.name=/^(DELIVERIES|DEAD_LETTERS)$/]",
          message:
            "Send queue messages through the typed accessor in delivery/messages.ts, not on the untyped binding.",
        },
      ],
    },
  },
  prettier,
);
