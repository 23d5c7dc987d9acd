// A real HTTP server on 127.0.0.1 for workerd tests (vitest globalSetup, runs in Node): each path answers in one
// way, so a test sees what `fetch` really does with a redirect, a stall, a long body or a Retry-After.
import { createServer, type Server } from "node:http";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    httpFixture: string;
  }
}

let server: Server;

export async function setup(project: TestProject) {
  server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    req.resume();
    req.on("end", () => {
      if (path === "/ok") return void res.writeHead(204).end();
      if (path === "/redirect") return void res.writeHead(302, { location: "http://127.0.0.1:9/elsewhere" }).end();
      if (path === "/retry-after") return void res.writeHead(503, { "retry-after": "3" }).end("busy");
      if (path === "/stall") return; // never answers: the caller's timeout must end it
      if (path === "/big") {
        // 64 KiB in 1 KiB chunks, streamed.
        res.writeHead(200, { "content-type": "text/plain" });
        const chunk = "x".repeat(1024);
        let sent = 0;
        const more = () => {
          while (sent < 64) {
            sent++;
            if (!res.write(chunk)) return void res.once("drain", more);
          }
          res.end();
        };
        return more();
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  project.provide("httpFixture", `http://127.0.0.1:${address.port}`);
}

export async function teardown() {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}
