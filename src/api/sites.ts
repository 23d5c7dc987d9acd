import { newRouter } from "./router";

export const sitesRouter = newRouter();
