#!/usr/bin/env node
// npm run receiver -- [--port 9000] [--secret whsec_…] [--prefix X-SGEN] [--fail-status 500] [--fail-count N]
//                     [--fail-rate 0.3] [--delay-ms 0] [--retry-after S] [--gone]
// Prints one line per delivery: whether its signature verified, and what it answered.
import { parseArgs } from "node:util";
import { startReceiver } from "./receiver-lib.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "9000" },
    secret: { type: "string" },
    prefix: { type: "string", default: "X-SGEN" },
    "fail-status": { type: "string", default: "500" },
    "fail-count": { type: "string", default: "0" },
    "fail-rate": { type: "string", default: "0" },
    "delay-ms": { type: "string", default: "0" },
    "retry-after": { type: "string" },
    gone: { type: "boolean", default: false },
  },
});

const receiver = await startReceiver({
  port: Number(values.port),
  secret: values.secret ?? null,
  prefix: values.prefix,
  behaviour: {
    failStatus: Number(values["fail-status"]),
    failCount: Number(values["fail-count"]),
    failRate: Number(values["fail-rate"]),
    delayMs: Number(values["delay-ms"]),
    retryAfter: values["retry-after"] ?? null,
    gone: values.gone,
  },
  log: (d) => {
    const p = values.prefix.toLowerCase();
    const sig =
      d.signatureValid === null ? "unsigned (no --secret)" : d.signatureValid ? "signature OK" : "signature BAD";
    const std =
      d.standardSignatureValid === null
        ? ""
        : d.standardSignatureValid
          ? ", webhook-signature OK"
          : ", webhook-signature BAD";
    console.log(
      `${new Date(d.receivedAt).toISOString()}  ${d.headers[`${p}-event`] ?? "?"}  event=${d.headers[`${p}-event-id`] ?? "?"}  ` +
        `delivery=${d.headers[`${p}-delivery`] ?? "?"}  attempt=${d.headers[`${p}-delivery-attempt`] ?? "?"}  ${sig}${std}  → ${d.respondedStatus}`,
    );
    if (process.env.RECEIVER_VERBOSE) console.log(d.rawBody);
  },
});

console.log(`Edgehooks inspector listening on ${receiver.url}${values.secret ? " (verifying signatures)" : ""}`);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => receiver.close().then(() => process.exit(0)));
