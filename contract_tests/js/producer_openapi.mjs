// Print the producer's OpenAPI document as JSON, from its own npm package (`access-events drift`).
//
//   node contract_tests/js/producer_openapi.mjs [PACKAGE] > producer-openapi.json
//
// PACKAGE defaults to @seamapi/types (the pinned current version); package.json also pins
// @seamapi/types-pre-2025-08, an npm alias of a version from before access_grant_ids. The
// document is the one the package exports: `import { openapi } from '@seamapi/types/connect'`.
// Keys are sorted so the output is byte-identical across runs. Nothing of the producer's is
// committed: it is installed by `make install` and read from node_modules.
const name = process.argv[2] ?? '@seamapi/types'

let module
try {
  module = await import(`${name}/connect`)
} catch (error) {
  process.stderr.write(`${name}/connect: cannot import it (run \`make install\`): ${error.message}\n`)
  process.exit(2)
}
if (module.openapi == null || typeof module.openapi !== 'object') {
  process.stderr.write(`${name}/connect exports no \`openapi\` object\n`)
  process.exit(2)
}

function sorted (value) {
  if (Array.isArray(value)) return value.map(sorted)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted(value[key])]))
  }
  return value
}

process.stdout.write(JSON.stringify(sorted(module.openapi), null, 1) + '\n')
