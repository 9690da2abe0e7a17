// Precompiled validators for the npm package, with Ajv's standalone code generation
// (draft 2020-12, strict mode, every error, verbose errors for the messages; the formats of npm_formats.mjs).
// usage: node codegen/npm_validators.mjs SCHEMAS_DIR esm|cjs full|fast  -> the module's text on stdout
// full: every error, with the data and schema of each (the problems are made from them);
// fast: the verdict only, stopping at the first error, and each UUID and date-time checked
// once: the `pattern` beside a `uuid` or `date-time` format is dropped (for a UUID it states
// the format exactly; for a date-time the format used here also refuses year 0000).
// stdin: {"<export name>": "<schema id or id#pointer>", ...}
// The module exports one validation function per name; nothing is compiled when it is
// imported and it never calls `new Function` or eval (it runs under
// --disallow-code-generation-from-strings). Its one import is the package's formats module
// (npm_formats.mjs: the `uuid` and `date-time` checks, as the Python package asserts them).
import Ajv2020, { _ } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import { dateTime, dateTimeNotYearZero, uuid } from "./npm_formats.mjs";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [folder, flavour, tier] = process.argv.slice(2);
const fast = tier === "fast";
const refs = JSON.parse(readFileSync(0, "utf8"));
const esm = flavour === "esm";
// The generated code reads each format from FORMATS, which the module's header defines.
const ajv = new Ajv2020({ strict: true, allErrors: !fast, verbose: !fast, code: { source: true, esm, lines: true, formats: _`FORMATS` } });
ajv.addFormat("uuid", uuid);
ajv.addFormat("date-time", fast ? dateTimeNotYearZero : dateTime);

function withoutRestatedPatterns(node) {
  if (Array.isArray(node)) return node.map(withoutRestatedPatterns);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "pattern" && (node.format === "uuid" || node.format === "date-time")) continue;
    out[key] = key === "examples" || key === "const" || key === "enum" ? value : withoutRestatedPatterns(value);
  }
  return out;
}
// Annotations of these schemas that Ajv's strict mode does not know (see contract_tests/js/ajv_validate.mjs).
ajv.addKeyword("discriminator");
ajv.addKeyword("x-version");
for (const name of readdirSync(folder).filter((n) => n.endsWith(".schema.json")).sort()) {
  const schema = JSON.parse(readFileSync(join(folder, name), "utf8"));
  ajv.addSchema(fast ? withoutRestatedPatterns(schema) : schema);
}
let code = standaloneCode(ajv, refs);
const name = fast ? "dateTimeNotYearZero" : "dateTime";
const header = esm ? `import { ${name}, uuid } from "./formats.mjs";` : `const { ${name}, uuid } = require("./formats.cjs");`;
code = code.replace('"use strict";', `"use strict";\n${header}\nconst FORMATS = { uuid, "date-time": ${name} };`);
const left = (code.match(/require\([^)]*\)/g) || []).filter((r) => r !== 'require("./formats.cjs")');
if ((left.length) || /new Function|eval\(/.test(code)) {
  process.stderr.write(`unexpected code in the standalone module: ${left}\n`);
  process.exit(2);
}
process.stdout.write(code);
