// Who did something, as the audit log records it: a kind, an id and a name. The kind and the id come from the
// token that was checked (the root token, a site key) or from the code itself (system), never from a name someone
// typed, so a key named like root can never read as root. The name is for people: the key's name at that time.

export type ActorKind = "root" | "key" | "system";

export interface Actor {
  kind: ActorKind;
  /** "root", "system", or the key's id (key_…). */
  id: string;
  name: string;
}

export const ROOT_ACTOR: Actor = { kind: "root", id: "root", name: "root" };

/** Edgehooks itself: the daily summary, a migration, an automatic change. */
export const SYSTEM_ACTOR: Actor = { kind: "system", id: "system", name: "system" };

export function keyActor(id: string, name: string): Actor {
  return { kind: "key", id, name };
}

/** How a person reads an actor: `root`, `system`, or a key's name with its id. */
export function actorLabel(actor: { kind: string; id: string | null; name: string }): string {
  if (actor.kind === "root" || actor.kind === "system") return actor.kind;
  return actor.id ? `${actor.name} (${actor.id})` : actor.name;
}
