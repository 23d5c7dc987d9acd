import { newRouter } from "./router";

export const deliveriesRouter = newRouter();
