// Precompiled validators for the npm package, with Ajv's standalone code generation
// (draft 2020-12, ajv-formats, strict mode, every error, verbose errors for the messages).
// usage: node codegen/npm_validators.mjs SCHEMAS_DIR esm|cjs  -> the module's text on stdout
// stdin: {"<export name>": "<schema id or id#pointer>", ...}
// The module exports one validation function per name; nothing is compiled when it is
// imported and it never calls `new Function` or eval (it runs under
// --disallow-code-generation-from-strings). Its one import is ajv-formats' date-time check.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import standaloneCode from "ajv/dist/standalone/index.js";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [folder, flavour] = process.argv.slice(2);
const refs = JSON.parse(readFileSync(0, "utf8"));
const esm = flavour === "esm";
const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true, code: { source: true, esm, lines: true } });
addFormats(ajv);
// Annotations of these schemas that Ajv's strict mode does not know (see contract_tests/js/ajv_validate.mjs).
ajv.addKeyword("discriminator");
ajv.addKeyword("x-version");
for (const name of readdirSync(folder).filter((n) => n.endsWith(".schema.json")).sort()) {
  ajv.addSchema(JSON.parse(readFileSync(join(folder, name), "utf8")));
}
let code = standaloneCode(ajv, refs);
const required = /require\("ajv-formats\/dist\/formats"\)/g;
if (esm) {
  // Ajv writes require() even in ES module output: import the same module instead.
  code = code.replace(required, "ajvFormats");
  code = code.replace('"use strict";', '"use strict";\nimport ajvFormats from "ajv-formats/dist/formats.js";');
} else {
  code = code.replace(required, 'require("ajv-formats/dist/formats.js")');
}
const left = code.match(/require\([^)]*\)/g);
if ((esm && left) || /new Function|eval\(/.test(code)) {
  process.stderr.write(`unexpected code in the standalone module: ${left}\n`);
  process.exit(2);
}
process.stdout.write(code);
