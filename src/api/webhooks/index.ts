// A webhook's API, one file per concern: lifecycle, subscriptions and policy, secret, flow, stats.
import { newRouter } from "../router";
import { crudRoutes } from "./crud";
import { policyRoutes } from "./policy";
import { secretRoutes } from "./secret";
import { flowRoutes } from "./flow";
import { statsRoutes } from "./stats";

export const webhooksRouter = newRouter();

for (const routes of [crudRoutes, policyRoutes, secretRoutes, flowRoutes, statsRoutes])
  webhooksRouter.route("/", routes);
