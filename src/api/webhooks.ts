import { newRouter } from "./router";

export const webhooksRouter = newRouter();
