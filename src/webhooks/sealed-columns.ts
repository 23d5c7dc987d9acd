// A webhook's encrypted columns: its signing secrets and its custom header values, each sealed under its own
// subkey of ENCRYPTION_KEY and bound to the webhook's id (domain/sealed.ts). Every read and write of either column
// goes through here.
import type { Env } from "../env";
import { open, seal, type Binding } from "../domain/sealed";
import type { StoredSecret } from "../domain/secret-rotation";
import { encryptionKeyring } from "../config";

export const secretsOf = (webhookId: string): Binding => ({ purpose: "webhook-secrets-v1", row: webhookId });
export const headersOf = (webhookId: string): Binding => ({ purpose: "webhook-headers-v1", row: webhookId });

export function sealSecrets(env: Env, webhookId: string, secrets: StoredSecret[]): Promise<string> {
  return seal(encryptionKeyring(env), secretsOf(webhookId), secrets);
}

export function openSecrets(env: Env, webhookId: string, stored: string): Promise<StoredSecret[]> {
  return open<StoredSecret[]>(encryptionKeyring(env), secretsOf(webhookId), stored);
}

/** Null for no headers, so a webhook without any stores nothing. */
export async function sealHeaders(env: Env, webhookId: string, headers: Record<string, string>) {
  return Object.keys(headers).length ? seal(encryptionKeyring(env), headersOf(webhookId), headers) : null;
}

export function openHeaders(env: Env, webhookId: string, stored: string): Promise<Record<string, string>> {
  return open<Record<string, string>>(encryptionKeyring(env), headersOf(webhookId), stored);
}
