import { newRouter } from "./router";

export const eventTypesRouter = newRouter();
