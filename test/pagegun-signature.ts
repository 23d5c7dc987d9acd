// PageGun's documented check, written again with WebCrypto for workerd tests (independently of src/): the header
// must equal `sha256=` + lowercase hex HMAC-SHA256 of the raw body, keyed by the secret's UTF-8 bytes.
export async function pagegunSignature(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
