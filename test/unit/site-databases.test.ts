// SITE_DATABASES read: which D1 binding holds which site, every binding named once with DB first, and a value that
// is not a JSON object of binding names refused at once, naming the variable.
import { describe, expect, it } from "vitest";
import { DEFAULT_DATABASE, databaseNameFor, parseSiteDatabases } from "../../src/domain/site-databases";

describe("parseSiteDatabases", () => {
  it("reads nothing set (absent, empty or blank) as every site in DB", () => {
    for (const raw of [undefined, "", "   ", "\n"]) {
      const map = parseSiteDatabases(raw);
      expect(map.names).toEqual([DEFAULT_DATABASE]);
      expect(map.bySite.size).toBe(0);
    }
    expect(DEFAULT_DATABASE).toBe("DB");
  });

  it("reads an empty object as every site in DB", () => {
    const map = parseSiteDatabases("{}");
    expect(map.names).toEqual(["DB"]);
    expect(map.bySite.size).toBe(0);
  });

  it("names DB first, then each binding of the map once, in the order first met", () => {
    const map = parseSiteDatabases(
      JSON.stringify({ site_a: "DB_3", site_b: "DB_2", site_c: "DB_3", site_d: "DB_2", site_e: "DB" }),
    );
    expect(map.names).toEqual(["DB", "DB_3", "DB_2"]);
    expect(Object.fromEntries(map.bySite)).toEqual({
      site_a: "DB_3",
      site_b: "DB_2",
      site_c: "DB_3",
      site_d: "DB_2",
      site_e: "DB",
    });
  });

  it("takes surrounding whitespace, as a variable written over several lines has", () => {
    const map = parseSiteDatabases('\n  {"site_big": "DB_2"}\n');
    expect(map.names).toEqual(["DB", "DB_2"]);
    expect(map.bySite.get("site_big")).toBe("DB_2");
  });

  const refused: [string, string][] = [
    ["text that is not JSON", "site_a=DB_2"],
    ["truncated JSON", '{"site_a": "DB_2"'],
    ["an array", '["DB_2"]'],
    ["an array of pairs", '[["site_a", "DB_2"]]'],
    ["null", "null"],
    ["a string", '"DB_2"'],
    ["a number", "2"],
    ["a binding given as a number", '{"site_a": 2}'],
    ["a binding given as null", '{"site_a": null}'],
    ["a binding given as an object", '{"site_a": {"binding": "DB_2"}}'],
    ["a binding given as a list", '{"site_a": ["DB_2"]}'],
    ["a lowercase binding name", '{"site_a": "db_2"}'],
    ["a binding name starting with a digit", '{"site_a": "2DB"}'],
    ["a binding name with a dash", '{"site_a": "DB-2"}'],
    ["an empty binding name", '{"site_a": ""}'],
    ["a binding name with spaces", '{"site_a": " DB_2 "}'],
    ["a binding name over 63 characters", JSON.stringify({ site_a: `D${"B".repeat(63)}` })],
  ];

  for (const [what, raw] of refused) {
    it(`refuses ${what}, naming SITE_DATABASES`, () => {
      expect(() => parseSiteDatabases(raw)).toThrow(/SITE_DATABASES/);
    });
  }

  it("names the site and the value it refused", () => {
    expect(() => parseSiteDatabases('{"site_ok": "DB_2", "site_bad": "db_2"}')).toThrow(/site_bad.*"db_2"/);
  });

  it("takes a binding name of 63 characters", () => {
    const name = `D${"B".repeat(62)}`;
    expect(parseSiteDatabases(JSON.stringify({ site_a: name })).names).toEqual(["DB", name]);
  });
});

describe("databaseNameFor", () => {
  const map = parseSiteDatabases('{"site_shard_two": "DB_2", "site_shard_three": "DB_3"}');

  it("gives a mapped site its binding", () => {
    expect(databaseNameFor(map, "site_shard_two")).toBe("DB_2");
    expect(databaseNameFor(map, "site_shard_three")).toBe("DB_3");
  });

  it("gives a site the map does not name DB", () => {
    expect(databaseNameFor(map, "site_elsewhere")).toBe("DB");
    expect(databaseNameFor(map, "site_shard_tw")).toBe("DB"); // no prefix matching
    expect(databaseNameFor(map, "SITE_SHARD_TWO")).toBe("DB"); // ids are compared exactly
  });

  it("gives no site (a message or object from before routing) DB", () => {
    expect(databaseNameFor(map, undefined)).toBe("DB");
  });

  it("gives every site DB when nothing is set", () => {
    const none = parseSiteDatabases("");
    expect(databaseNameFor(none, "site_shard_two")).toBe("DB");
    expect(databaseNameFor(none, undefined)).toBe("DB");
  });

  it("never answers with a property the map's object inherits", () => {
    const inherited = parseSiteDatabases('{"site_a": "DB_2"}');
    for (const site of ["constructor", "__proto__", "toString", "hasOwnProperty"])
      expect(databaseNameFor(inherited, site)).toBe("DB");
  });
});
