// Validate instances with Ajv (JSON Schema draft 2020-12, ajv-formats, strict mode).
// stdin: {"schemas": [schema documents], "cases": [{"name", "ref", "instance"}]}
// stdout: {"<name>": {"valid": bool, "errors": [{"pointer", "keyword", "message"}]}}
// A schema Ajv refuses in strict mode is an error (exit 2), never a silent pass.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// The union's OpenAPI `discriminator` carries a `mapping`, which Ajv's own discriminator
// support refuses; declared as an annotation keyword, strict mode accepts it (README).
ajv.addKeyword("discriminator");
// Every event schema states its semantic version (`x-version`, checked by lint and the
// compat gate); an annotation too, which strict mode refuses unless declared.
ajv.addKeyword("x-version");
try {
  for (const schema of input.schemas) ajv.addSchema(schema);
} catch (error) {
  process.stderr.write(`ajv refused a schema: ${error.message}\n`);
  process.exit(2);
}
const results = {};
for (const { name, ref, instance } of input.cases) {
  let validate;
  try {
    validate = ajv.getSchema(ref);
  } catch (error) {
    process.stderr.write(`ajv could not compile ${ref}: ${error.message}\n`);
    process.exit(2);
  }
  if (!validate) {
    process.stderr.write(`ajv has no schema ${ref}\n`);
    process.exit(2);
  }
  const valid = validate(instance);
  results[name] = {
    valid,
    errors: (validate.errors || []).map((e) => ({ pointer: e.instancePath, keyword: e.keyword, message: e.message })),
  };
}
process.stdout.write(JSON.stringify(results));
