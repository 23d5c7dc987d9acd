import { newRouter } from "./router";

export const eventsRouter = newRouter();
