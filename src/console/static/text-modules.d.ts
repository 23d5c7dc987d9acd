// Files bundled as text (the [[rules]] of wrangler.toml): the console's stylesheet and htmx, served by the Worker.
declare module "*.svg" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "htmx.org/dist/htmx.min.js" {
  const text: string;
  export default text;
}
