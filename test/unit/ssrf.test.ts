// The destination rules of contract §5, as a table: every notation of a forbidden address is refused.
import { describe, expect, it } from "vitest";
import { checkDestination, parseDevHosts } from "../../src/domain/ssrf";

const DEV = parseDevHosts("127.0.0.1, localhost");

const allowed: [string, string[]][] = [
  ["https://hooks.example.com/in", []],
  ["https://hooks.example.com:8443/in?x=1", []],
  ["https://93.184.216.34/hook", []],
  ["https://[2606:4700:4700::1111]/hook", []],
  ["https://xn--bcher-kva.example/hook", []],
  ["http://127.0.0.1:9000/hook", DEV],
  ["https://127.0.0.1/hook", DEV],
  ["http://localhost:9000/hook", DEV],
];

const refused: [string, RegExp][] = [
  ["http://hooks.example.com/in", /https/],
  ["ftp://hooks.example.com/in", /https/],
  ["not a url", /valid URL/],
  ["https://user:pass@hooks.example.com/", /user name or password/],
  ["https://127.0.0.1/", /loopback/],
  ["https://127.1/", /loopback/],
  ["https://2130706433/", /loopback/],
  ["https://0x7f000001/", /loopback/],
  ["https://0x7f.1/", /loopback/],
  ["https://0177.0.0.1/", /loopback/],
  ["https://017700000001/", /loopback/],
  ["https://127.0.0.1./", /loopback/],
  ["https://0.0.0.0/", /unspecified/],
  ["https://0/", /unspecified/],
  ["https://10.1.2.3/", /private/],
  ["https://172.16.0.1/", /private/],
  ["https://172.31.255.255/", /private/],
  ["https://192.168.1.1/", /private/],
  ["https://0xc0a80101/", /private/],
  ["https://169.254.169.254/latest/meta-data", /metadata/],
  ["https://169.254.10.10/", /linkLocal/],
  ["https://100.64.0.1/", /carrierGradeNat/],
  ["https://224.0.0.1/", /multicast/],
  ["https://255.255.255.255/", /broadcast/],
  ["https://240.0.0.1/", /reserved/],
  ["https://192.0.2.10/", /reserved/],
  ["https://198.18.0.1/", /reserved/],
  ["https://[::1]/", /loopback/],
  ["https://[::]/", /unspecified/],
  ["https://[fe80::1]/", /linkLocal/],
  ["https://[fc00::1]/", /uniqueLocal/],
  ["https://[fd12:3456::1]/", /uniqueLocal/],
  ["https://[ff02::1]/", /multicast/],
  ["https://[::ffff:127.0.0.1]/", /loopback/],
  ["https://[::ffff:7f00:1]/", /loopback/],
  ["https://[::ffff:10.0.0.1]/", /private/],
  ["https://[::ffff:169.254.169.254]/", /metadata/],
  ["https://[::127.0.0.1]/", /embedding IPv4/],
  ["https://[64:ff9b::10.0.0.1]/", /embedding IPv4/],
  ["https://[2002:7f00:1::]/", /embedding IPv4/],
  ["https://[fd00:ec2::254]/", /metadata/],
  ["https://localhost/", /internal name/],
  ["https://localhost./", /internal name/],
  ["https://localhost../h", /internal name/],
  ["https://metadata.google.internal../x", /internal name/],
  ["https://169.254.169.254../latest", /metadata|link-local/],
  ["https://api.localhost/", /internal name/],
  ["https://metadata.google.internal/", /internal name/],
  ["https://db.internal/", /internal name/],
  ["https://printer.local/", /internal name/],
  ["https://intranet/", /single-label/],
  ["http://localhost:9000/hook", /https/], // not exempt without DEV_DESTINATION_HOSTS
];

describe("destination rules", () => {
  it.each(allowed)("allows %s", (url, dev) => {
    const v = checkDestination(url, dev);
    expect(v.ok, v.ok ? "" : v.reason).toBe(true);
  });

  it.each(refused)("refuses %s", (url, why) => {
    const v = checkDestination(url, []);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(why);
  });

  it("exempts only the dev hosts named, not their neighbours", () => {
    expect(checkDestination("http://127.0.0.2/", DEV).ok).toBe(false);
    expect(checkDestination("http://10.0.0.1/", DEV).ok).toBe(false);
  });

  it("names the host it allowed", () => {
    const v = checkDestination("https://Hooks.Example.com/x", []);
    expect(v.ok && v.host).toBe("hooks.example.com");
  });

  it("parses the dev host list", () => {
    expect(parseDevHosts(" 127.0.0.1 ,LOCALHOST,, ")).toEqual(["127.0.0.1", "localhost"]);
    expect(parseDevHosts("")).toEqual([]);
    expect(parseDevHosts(undefined)).toEqual([]);
  });
});
