// The stylesheet, htmx and the icon (from npm, bundled as text by wrangler's [[rules]]) served by the Worker itself, under
// names that carry a hash of their content so they can be cached for a year. No CDN is involved.
import css from "./static/console.css";
import htmx from "htmx.org/dist/htmx.min.js";
import icon from "./static/favicon.svg";
import { BASE, newConsoleRouter } from "./context";

/** FNV-1a, 32 bits, hex: enough to tell two versions of one file apart. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

const FILES = {
  [`console.${fingerprint(css)}.css`]: { body: css, type: "text/css; charset=utf-8" },
  [`htmx.${fingerprint(htmx)}.js`]: { body: htmx, type: "text/javascript; charset=utf-8" },
  [`icon.${fingerprint(icon)}.svg`]: { body: icon, type: "image/svg+xml" },
};
const [CSS_NAME, HTMX_NAME, ICON_NAME] = Object.keys(FILES) as [string, string, string];

export const STYLESHEET_URL = `${BASE}/assets/${CSS_NAME}`;
export const HTMX_URL = `${BASE}/assets/${HTMX_NAME}`;
export const ICON_URL = `${BASE}/assets/${ICON_NAME}`;

export const assets = newConsoleRouter();

assets.get("/assets/:name", (c) => {
  const file = FILES[c.req.param("name")];
  if (!file) return c.text("Not found", 404);
  return c.body(file.body, 200, {
    "content-type": file.type,
    "cache-control": "public, max-age=31536000, immutable",
  });
});
