// STUB (helper "domain" implements): destination rules.
export type DestinationVerdict = { ok: true; url: URL; host: string } | { ok: false; reason: string };
export function parseDevHosts(value: string | undefined): string[] { throw new Error("stub"); }
export function checkDestination(raw: string, devHosts: readonly string[]): DestinationVerdict { throw new Error("stub"); }
