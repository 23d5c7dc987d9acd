// Destination rules. Cloudflare does not stop a Worker from fetching a private address, so
// we do: https only, and no loopback, private, link-local, CGNAT, multicast, reserved or metadata address in
// any notation. The WHATWG URL parser already turns decimal, octal, hex and short IPv4 forms into dotted
// quads; ipaddr.js classifies the result, including IPv6 forms that embed an IPv4 address.
// Hosts in DEV_DESTINATION_HOSTS (empty in production; only with ALLOW_DEV_DESTINATIONS=1) are exempt from both.
// A public name that resolves to a private address is not caught here: Workers cannot resolve names.
import ipaddr from "ipaddr.js";

export type DestinationVerdict = { ok: true; url: URL; host: string } | { ok: false; reason: string };

export function parseDevHosts(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

const BLOCKED_NAMES = new Set([
  "localhost",
  "metadata",
  "metadata.google.internal",
  "instance-data",
  "kubernetes.default",
]);
const BLOCKED_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".localdomain"];

export function checkDestination(raw: string, devHosts: readonly string[]): DestinationVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must use https" };
  if (url.username || url.password) return { ok: false, reason: "must not carry a user name or password" };
  // Every trailing dot goes ("localhost.." is localhost), so no name slips past the lists below.
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
  if (!host) return { ok: false, reason: "has no host" };
  if (devHosts.includes(host) || devHosts.includes(url.hostname.toLowerCase())) return { ok: true, url, host };
  if (url.protocol !== "https:") return { ok: false, reason: "must use https" };
  const why = blockedHost(host);
  return why ? { ok: false, reason: `must not point at ${why}` } : { ok: true, url, host };
}

function blockedHost(host: string): string | null {
  if (ipaddr.isValid(host)) return blockedAddress(ipaddr.parse(host));
  if (BLOCKED_NAMES.has(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s))) return `an internal name (${host})`;
  if (!host.includes(".")) return `a single-label name (${host})`;
  return null;
}

function blockedAddress(addr: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (addr.kind() === "ipv6") {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return blockedAddress(v6.toIPv4Address());
    const parts = v6.parts;
    const range = v6.range();
    if (range === "loopback" || range === "unspecified") return `a ${range} address (${addr.toString()})`;
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address inside.
    if (parts.slice(0, 6).every((p) => p === 0) || (parts[0] === 0x64 && parts[1] === 0xff9b) || parts[0] === 0x2002) {
      return `an address embedding IPv4 (${addr.toString()})`;
    }
    if (parts[0] === 0xfd00 && parts[1] === 0x0ec2) return "a metadata address";
    return range === "unicast" ? null : `a ${range} address (${addr.toString()})`;
  }
  const v4 = addr as ipaddr.IPv4;
  if (v4.toString() === "169.254.169.254") return "a metadata address";
  const range = v4.range();
  return range === "unicast" ? null : `a ${range} address (${v4.toString()})`;
}
