// `make bench`, Node scenario: the npm package's parseEvent against JSON.parse on the same payload,
// as ratios of medians in this one process (src/access_events/bench.py runs it and reports).
// usage: node contract_tests/js/bench_npm.mjs PACKAGE_DIR ROUNDS SECONDS_PER_ROUND < payload.json
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, rounds = "7", perRound = "0.2"] = process.argv.slice(2);
const pkg = await import(pathToFileURL(join(resolve(dir), "index.mjs")).href);
const text = readFileSync(0, "utf8").trim();
const bytes = new TextEncoder().encode(text);

function time(fn) {
  let sink = 0;
  fn();
  let calls = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink ^= fn() ? 1 : 0;
    if (Number(process.hrtime.bigint() - start) / 1e9 >= Number(perRound) / 10) break;
    calls *= 2;
  }
  calls *= 10;
  const perCall = [];
  for (let r = 0; r < Number(rounds); r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink ^= fn() ? 1 : 0;
    perCall.push(Number(process.hrtime.bigint() - start) / calls);
  }
  perCall.sort((a, b) => a - b);
  return { median_ns: Math.round(perCall[perCall.length >> 1]), sink };
}

const operations = {
  json_parse: time(() => JSON.parse(text)),
  parse_event: time(() => pkg.parseEvent(text)),
  parse_event_bytes: time(() => pkg.parseEvent(bytes)),
  json_parse_bytes: time(() => JSON.parse(new TextDecoder().decode(bytes))),
};
for (const op of Object.values(operations)) delete op.sink;
process.stdout.write(JSON.stringify({ node: process.version, payload_bytes: bytes.length, operations }));
