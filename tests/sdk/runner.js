#!/usr/bin/env node
// Differential-test runner: feeds documents to the official orq.ai TypeScript SDK's parsers.
//
// Usage: node runner.js INSTALL_DIR < documents
//   INSTALL_DIR holds node_modules/ installed from package.json + package-lock.json.
//   stdin: one document per line, base64-encoded (the raw response bytes).
//   stdout: a first line {"sdk": version, "zod": version}, then one JSON line per document:
//     {"usage": RESULT, "body": RESULT}, RESULT = {"ok": true, "value": V} | {"ok": false,
//     "error": message}, for createImageVariationUsageFromJSON and
//     createImageVariationResponseBodyFromJSON.
//
// Bytes become text as the SDK's own HTTP path does it: `await response.text()` on a fetch
// Response, which the Fetch standard defines as "UTF-8 decode": one leading byte-order mark is
// dropped and invalid sequences become U+FFFD. That is TextDecoder("utf-8") with its defaults,
// used here. (Node 20's own Response.text() drops a second BOM as well: a quirk of its fetch
// implementation, not of the standard, deliberately not modelled.) The text then goes to
// the SDK's FromJSON function (JSON.parse + zod schema), as the SDK does with a 200 response.
// Numbers in values are written as {"#": String(n)} ("-0" for negative zero) so that
// Infinity, -0 and every double survive the trip back to Python exactly.
"use strict";

const path = require("node:path");
const { createRequire } = require("node:module");

const installDir = path.resolve(process.argv[2] || ".");
const requireFrom = createRequire(path.join(installDir, "package.json"));
const ops = requireFrom("@orq-ai/node/models/operations/createimagevariation.js");
const sdkVersion = requireFrom("@orq-ai/node/package.json").version;
const zodVersion = requireFrom("zod/package.json").version;

function numbersTagged(_key, value) {
  if (typeof value === "number") {
    return { "#": Object.is(value, -0) ? "-0" : String(value) };
  }
  return value;
}

function result(r) {
  if (r.ok) {
    return { ok: true, value: r.value };
  }
  const message = r.error && r.error.message ? String(r.error.message) : String(r.error);
  return { ok: false, error: message.replace(/\s+/g, " ").slice(0, 300) };
}

const decoder = new TextDecoder("utf-8");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const lines = Buffer.concat(chunks).toString("ascii").split("\n");
  const out = [JSON.stringify({ sdk: sdkVersion, zod: zodVersion })];
  for (const line of lines) {
    if (line.length === 0) {
      continue;
    }
    const bytes = Buffer.from(line, "base64");
    const text = decoder.decode(bytes);
    const usage = result(ops.createImageVariationUsageFromJSON(text));
    const body = result(ops.createImageVariationResponseBodyFromJSON(text));
    out.push(JSON.stringify({ usage, body }, numbersTagged));
  }
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
