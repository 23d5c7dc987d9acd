import { newRouter } from "./router";

export const keysRouter = newRouter();
