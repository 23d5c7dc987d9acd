// STUB (helper "domain" implements): signatures.
export async function signV1Hex(secret: string, t: number, body: string): Promise<string> { throw new Error("stub"); }
export function isStandardWebhooksSecret(secret: string): boolean { throw new Error("stub"); }
export async function signStandardWebhooks(secret: string, msgId: string, t: number, body: string): Promise<string> { throw new Error("stub"); }
/** `${prefix}-Signature` when any secret; Standard Webhooks headers for the whsec_ ones. Secrets newest first. */
export async function signatureHeaders(opts: { prefix: string; secrets: readonly string[]; eventId: string; t: number; body: string }): Promise<Record<string, string>> { throw new Error("stub"); }
/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string { throw new Error("stub"); }
export async function verifyV1(header: string, secrets: readonly string[], body: string, nowSec: number, toleranceSec?: number): Promise<boolean> { throw new Error("stub"); }
