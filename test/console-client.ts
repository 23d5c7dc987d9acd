// The console as a browser uses it, for workerd tests: sign in through the form (its nonce cookie and CSRF token),
// keep the session cookie, and post forms with the session's CSRF token. No browser: just the HTTP the forms send.
import { exports } from "cloudflare:workers";

const ORIGIN = "http://edgehooks.test";

function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getAll("set-cookie")) {
    const [pair] = line.split(";");
    const at = pair!.indexOf("=");
    out[pair!.slice(0, at)] = pair!.slice(at + 1);
  }
  return out;
}

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

export async function consoleSignIn(token: string) {
  const jar: Record<string, string> = {};
  const cookie = () =>
    Object.entries(jar)
      .filter(([, v]) => v !== "")
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
  const send = async (method: string, path: string, form?: Record<string, string>) => {
    const res = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, {
        method,
        redirect: "manual",
        headers: {
          cookie: cookie(),
          ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        body: form ? new URLSearchParams(form).toString() : undefined,
      }),
    );
    Object.assign(jar, cookiesOf(res));
    return res;
  };

  const form = await send("GET", "/console/sign-in");
  const signedIn = await send("POST", "/console/sign-in", { _csrf: csrfIn(await form.text()), token });
  if (signedIn.status !== 303) throw new Error(`console sign-in: ${signedIn.status}`);
  let csrf = "";

  return {
    get: (path: string) => send("GET", path),
    /** Posts a form as the page would, with the session's CSRF token. */
    async post(path: string, fields: Record<string, string> = {}) {
      if (!csrf) csrf = csrfIn(await (await send("GET", signedIn.headers.get("location")!)).text());
      return send("POST", path, { _csrf: csrf, ...fields });
    },
  };
}
