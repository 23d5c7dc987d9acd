import { newRouter } from "./router";

export const health = newRouter();

health.get("/health", async (c) => {
  try {
    await c.env.DB.prepare("SELECT 1").first();
    return c.json({ status: "ok", d1: "ok" });
  } catch (err) {
    return c.json({ status: "degraded", d1: "error" }, 503);
  }
});
