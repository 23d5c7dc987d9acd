// The Worker's bindings, generated from wrangler.toml into worker-configuration.d.ts by `npm run cf-typegen`.
export type Env = Cloudflare.Env;
