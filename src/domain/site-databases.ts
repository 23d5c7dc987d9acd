// Which D1 binding holds which site's rows, as the deployment's SITE_DATABASES variable says: a JSON object of
// site id → binding name, e.g. {"site_big": "DB_2"}. A site it does not name lives in DB, the default binding, and
// so does everything from before the variable existed (a queue message or an object that names no site).
//
// The map never moves a site: a site's rows stay where they were written. So a site is placed before it is created
// (choose its id, map it, then POST /v1/sites with that id); moving a site with rows means copying them first.

/** The binding every site not named in SITE_DATABASES uses. */
export const DEFAULT_DATABASE = "DB";

export interface SiteDatabases {
  /** Site id → binding name, for the sites not in DEFAULT_DATABASE. */
  bySite: ReadonlyMap<string, string>;
  /** Every binding in use, DEFAULT_DATABASE first, each once. */
  names: readonly string[];
}

const BINDING_NAME = /^[A-Z][A-Z0-9_]{0,62}$/;

/** SITE_DATABASES read; a value that is not such an object is a deployment error, thrown with what is wrong. */
export function parseSiteDatabases(raw: string | undefined): SiteDatabases {
  const text = (raw ?? "").trim();
  if (!text) return { bySite: new Map(), names: [DEFAULT_DATABASE] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("SITE_DATABASES must be a JSON object of site id → D1 binding name");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("SITE_DATABASES must be a JSON object of site id → D1 binding name");
  }
  const bySite = new Map<string, string>();
  const names = [DEFAULT_DATABASE];
  for (const [site, name] of Object.entries(value)) {
    if (typeof name !== "string" || !BINDING_NAME.test(name)) {
      throw new Error(`SITE_DATABASES: site ${site} names ${JSON.stringify(name)}, which is not a binding name`);
    }
    bySite.set(site, name);
    if (!names.includes(name)) names.push(name);
  }
  return { bySite, names };
}

/** The binding that holds `siteId`'s rows; no site (a message or object from before routing): the default. */
export function databaseNameFor(map: SiteDatabases, siteId: string | undefined): string {
  return (siteId !== undefined && map.bySite.get(siteId)) || DEFAULT_DATABASE;
}
