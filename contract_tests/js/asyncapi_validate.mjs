// Validate an AsyncAPI 3.0 document (as JSON on stdin) against the official AsyncAPI 3.0.0
// JSON Schema shipped by @asyncapi/specs, with Ajv. Prints the errors; exit 0 valid, 1 invalid.
import Ajv from "ajv";
import addFormats from "ajv-formats";
import specs from "@asyncapi/specs";
import { readFileSync } from "node:fs";

const doc = JSON.parse(readFileSync(0, "utf8"));
// The official schema is draft-07 and not written for strict mode; strict is ours to ask of our schemas, not of it.
// meta: false because the spec embeds its own copy of the draft-07 metaschema under the same $id.
const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
addFormats(ajv);
const validate = ajv.compile(specs.schemas["3.0.0"]);
if (validate(doc)) {
  process.stdout.write("valid\n");
} else {
  for (const e of validate.errors) process.stdout.write(`${e.instancePath || "/"}: ${e.keyword}: ${e.message}\n`);
  process.exit(1);
}
