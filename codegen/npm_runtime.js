// The npm package's API over the precompiled validators (``V``, one per event type and
// ``base`` for the fields every event carries). codegen/generate.py writes it twice, as ES
// module and as CommonJS, with the imports and exports around this text; the catalog
// (``EVENT_TYPES``, ``GUARDS``) is written above it. Decisions and wording follow the
// Python package (README "Decisions about edge cases"), and a differential test holds both
// to the same verdicts.

const DEFAULT_MAX_BYTES = 1024 * 1024;
const FORMAT_HINTS = {
  uuid: "a UUID, 8-4-4-4-12 hexadecimal digits",
  "date-time": "an RFC 3339 date-time such as 2025-01-01T00:00:00Z",
};
// orjson's limit, which the Python package inherits: deeper text is not accepted as JSON.
const MAX_DEPTH = 1024;

class EventError extends Error {}

class InvalidEvent extends EventError {
  constructor(problems, eventType = null) {
    const shown = problems.slice(0, 5).map((p) => `${p.pointer || "/"}: ${p.message}`).join("; ");
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
    const what = eventType ? `invalid ${eventType} event` : "invalid event";
    super(`${what} (${problems.length} problem${problems.length === 1 ? "" : "s"}): ${shown}${more}`);
    this.name = "InvalidEvent";
    this.problems = Object.freeze(problems.slice());
    this.eventType = eventType;
  }
}

class UnknownEventType extends EventError {
  constructor(eventType) {
    super(`unknown event type ${pyRepr(head(eventType, 200))}; this package knows ${EVENT_TYPES.length}: ${EVENT_TYPES.join(", ")}`);
    this.name = "UnknownEventType";
    this.eventType = eventType;
    this.knownTypes = EVENT_TYPES;
  }
}

// What Python's str.isprintable() refuses (the space aside): repr escapes these.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const REPR_ESCAPES = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

// A string as Python's repr writes it: the quote it picks, backslash escapes for the
// backslash, that quote, \t \n \r, and \xNN, \uNNNN or \UNNNNNNNN for what is not printable.
function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch in REPR_ESCAPES) out += REPR_ESCAPES[ch];
    else if (ch === quote) out += `\\${ch}`;
    else if (ch !== " " && NOT_PRINTABLE.test(ch)) {
      const code = ch.codePointAt(0);
      const [prefix, width] = code < 0x100 ? ["x", 2] : code < 0x10000 ? ["u", 4] : ["U", 8];
      out += `\\${prefix}${code.toString(16).padStart(width, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

function jsonType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return pyInt(value) ? "integer" : "number";
  return typeof value;
}

// Whether Python holds the number as an int: orjson reads an integer of 64 bits or fewer as an
// int, a longer one (and anything written with a fraction or exponent) as a float. JSON.parse
// keeps no spelling, so `1.0` and `1e3` count as integers here.
function pyInt(n) {
  return Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 64;
}

// A number as Python's repr writes a float: scientific below 1e-4 and from 1e16, with a
// two-digit exponent (1e-09). What pyInt takes stays an integer: JSON.parse keeps no
// spelling, so `1.0` and `1` read the same here.
function pyNumber(n) {
  if (pyInt(n) || !Number.isFinite(n)) return JSON.stringify(n);
  const [mantissa, exp] = n.toExponential().split("e");
  const e = Number(exp);
  if (e >= -4 && e < 16) return String(n);
  return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

// JSON as Python's json.dumps writes it (", " and ": "), so messages read the same.
function pyDumps(value) {
  if (typeof value === "number") return pyNumber(value);
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}: ${pyDumps(value[k])}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

// The first `count` characters (code points, as Python counts them) of `text`.
function head(text, count) {
  if (text.length <= count) return text;
  let end = 0;
  for (let n = 0; n < count && end < text.length; n++) {
    const code = text.charCodeAt(end);
    end += code >= 0xd800 && code < 0xdc00 && end + 1 < text.length ? 2 : 1;
  }
  return text.slice(0, end);
}

function codePoints(text) {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code < 0xdc00) n--;
  }
  return n;
}

function short(value, limit = 80) {
  if (typeof value === "string") {
    const text = JSON.stringify(head(value, limit + 1));
    return codePoints(value) <= limit ? text : `${head(text, limit + 1)}…"`;
  }
  const text = pyDumps(value);
  return codePoints(text) <= limit ? text : `${head(text, limit)}…`;
}

function problem(pointer, keyword, message) {
  return Object.freeze({ pointer, keyword, message });
}

function fail(keyword, message) {
  return new InvalidEvent([problem("", keyword, message)]);
}

function tooLarge(size, maxBytes) {
  return fail("size", `payload is ${size} bytes, above the limit of ${maxBytes} bytes`);
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function notUtf8At(bytes) {
  // The offset of the first byte that is not part of a UTF-8 character (for the message only).
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0) return i;
    try {
      STRICT_UTF8.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return 0;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = typeof "".isWellFormed === "function" ? (s) => s.isWellFormed() : (s) => !LONE_SURROGATE.test(s);
// What JSON.parse takes and the Python package does not (orjson refuses it as JSON): an
// escaped lone surrogate (not Unicode text), a number beyond a double (JSON.parse gives
// Infinity), nesting deeper than MAX_DEPTH. Strings are only looked at when the text has an
// escape (\u), which is the only way a lone surrogate gets into decoded UTF-8.
function checkDecoded(value, strings, depth = 1) {
  // Iterative, so a deep value cannot overflow the stack.
  const stack = [value];
  const depths = [depth];
  while (stack.length) {
    const node = stack.pop();
    const depth = depths.pop();
    if (typeof node === "number") {
      if (!Number.isFinite(node)) return "number is infinity when parsed as double";
    } else if (typeof node === "string") {
      if (strings && !wellFormed(node)) return "lone surrogate in a string: not Unicode text";
    } else if (node !== null && typeof node === "object") {
      if (depth > MAX_DEPTH) return "depth limit exceeded";
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          stack.push(node[i]);
          depths.push(depth + 1);
        }
      } else {
        for (const key in node) {
          if (strings && !wellFormed(key)) return "lone surrogate in a member name: not Unicode text";
          stack.push(node[key]);
          depths.push(depth + 1);
        }
      }
    }
  }
  return null;
}

// JSON text from a string or UTF-8 bytes: the size limit, no BOM, UTF-8 / Unicode text.
function text(body, maxBytes) {
  if (body instanceof Uint8Array) {
    if (body.length > maxBytes) throw tooLarge(body.length, maxBytes);
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
      throw fail("json", "payload starts with a UTF-8 byte order mark; JSON text must not (RFC 8259 §8.1)");
    }
    try {
      return STRICT_UTF8.decode(body);
    } catch {
      const at = notUtf8At(body);
      throw fail("json", `not valid JSON: not UTF-8 text: byte 0x${body[at].toString(16).padStart(2, "0")} at byte offset ${at}`);
    }
  }
  if (typeof body === "string") {
    if (body.length * 3 > maxBytes) {
      const size = new TextEncoder().encode(body).length;
      if (size > maxBytes) throw tooLarge(size, maxBytes);
    }
    if (body.charCodeAt(0) === 0xfeff) {
      throw fail("json", "payload starts with a byte order mark (U+FEFF); JSON text must not (RFC 8259 §8.1)");
    }
    if (!wellFormed(body)) throw fail("json", "not valid JSON: not UTF-8 text: a lone surrogate");
    return body;
  }
  throw new TypeError(`expected a string or a Uint8Array, not ${jsonType(body)}`);
}

// JSON.parse keeps the last of duplicate members, so what the Python package refuses as JSON
// can also sit in a member a later duplicate overwrote, where no walk of the value finds it
// (`{"x": "\\ud800", "x": 1}`). Text with a duplicate has more commas than its value has
// separators (commas inside strings only add to the text's count): only then is the text
// read itself. Counting costs far less than any regex over the text (an exponent's regex
// alone cost 0.3x JSON.parse on `make bench`'s event).
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

// The separators of a decoded value: n - 1 for each array or object of n > 0 items.
function separators(value) {
  let count = 0;
  const stack = [value];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    let n = 0;
    if (Array.isArray(node)) {
      n = node.length;
      for (let i = 0; i < n; i++) if (node[i] !== null && typeof node[i] === "object") stack.push(node[i]);
    } else {
      for (const key in node) {
        n++;
        if (node[key] !== null && typeof node[key] === "object") stack.push(node[key]);
      }
    }
    if (n > 0) count += n - 1;
  }
  return count;
}

function textProblem(json, value) {
  let commas = 0;
  for (let i = json.indexOf(","); i >= 0; i = json.indexOf(",", i + 1)) commas++;
  if (commas === separators(value)) return null; // no duplicate member: the walk sees every value
  let depth = 0;
  let inString = false;
  let high = false; // the previous escape was a high surrogate, and nothing came between
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92) {
        const unit = json.charCodeAt(i + 1) === 117 && HEX4.test(json.slice(i + 2, i + 6)) ? parseInt(json.slice(i + 2, i + 6), 16) : -1;
        if (unit >= 0xdc00 && unit < 0xe000 && !high) return "lone surrogate in a string: not Unicode text";
        if (high && !(unit >= 0xdc00 && unit < 0xe000)) return "lone surrogate in a string: not Unicode text";
        high = unit >= 0xd800 && unit < 0xdc00;
        i += unit >= 0 ? 5 : 1;
        continue;
      }
      if (high) return "lone surrogate in a string: not Unicode text";
      if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return "depth limit exceeded";
    } else if (c === 93 || c === 125) {
      depth--;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(json)[0];
      if (!Number.isFinite(Number(token))) return "number is infinity when parsed as double";
      i += token.length - 1;
    }
  }
  return null;
}

function refuseUnlessJson(value, strings, depth = 1) {
  const why = checkDecoded(value, strings, depth);
  if (why) throw fail("json", `not valid JSON: ${why}`);
}

// Decoded and checked JSON text: returns the event, or throws InvalidEvent / UnknownEventType.
function decodeAndCheck(body, maxBytes) {
  const json = text(body, maxBytes);
  let value;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw fail("json", `not valid JSON: ${error.message}`);
  }
  const escapes = json.includes("\\u");
  const overwritten = textProblem(json, value);
  if (overwritten) throw fail("json", `not valid JSON: ${overwritten}`);
  // The common case in one pass: an event of a known type that the fast validator takes.
  // Its declared members are strings, booleans and arrays of strings (the schema saw to
  // it), so only its undeclared members can hold what JSON.parse takes and Python refuses.
  if (!escapes && value !== null && typeof value === "object" && !Array.isArray(value) && typeof value.event_type === "string") {
    const fast = FAST[value.event_type];
    if (fast !== undefined && fast(value)) {
      const declared = DECLARED[value.event_type];
      for (const key in value) if (!declared.has(key)) refuseUnlessJson(value[key], false, 2);
      return value;
    }
  }
  refuseUnlessJson(value, escapes);
  check(value);
  return value;
}

function unescapePointer(segment) {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function escapePointer(name) {
  return String(name).replace(/~/g, "~0").replace(/\//g, "~1");
}

function message(error) {
  const value = error.data;
  switch (error.keyword) {
    case "type": {
      const wanted = Array.isArray(error.schema) ? error.schema.join(" or ") : error.schema;
      return `expected ${wanted}, got ${jsonType(value)} ${short(value, 40)}`;
    }
    case "format":
      return `${short(value)} is not ${FORMAT_HINTS[error.schema] || `a valid ${error.schema}`}`;
    case "pattern":
      return `${short(value)} does not match the pattern ${error.schema}`;
    case "const":
      return `expected ${short(error.schema)}, got ${short(value)}`;
    default:
      return error.message.length <= 300 ? error.message : `${error.message.slice(0, 300)}…`;
  }
}

// Sorted as the Python package sorts: by location (array indices before names), then keyword.
function sortKey(pointer) {
  return pointer.split("/").slice(1).map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? [0, Number(s)] : [1, unescapePointer(s)]));
}

function compareProblems(a, b) {
  const ka = sortKey(a.pointer);
  const kb = sortKey(b.pointer);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i][0] !== kb[i][0]) return ka[i][0] - kb[i][0];
    if (ka[i][1] !== kb[i][1]) return ka[i][1] < kb[i][1] ? -1 : 1;
  }
  if (ka.length !== kb.length) return ka.length - kb.length;
  return a.keyword < b.keyword ? -1 : a.keyword > b.keyword ? 1 : 0;
}

function problemsFrom(errors) {
  const found = new Map();
  for (const error of errors) {
    if (error.keyword === "required") {
      // point at the missing property itself: that is what a reader must add
      const pointer = `${error.instancePath}/${escapePointer(error.params.missingProperty)}`;
      found.set(`${pointer}\u0000required`, problem(pointer, "required", `required property ${pyRepr(error.params.missingProperty)} is missing`));
      continue;
    }
    if (["allOf", "anyOf", "oneOf", "if", "$ref"].includes(error.keyword)) continue; // their branches say why
    const key = `${error.instancePath}\u0000${error.keyword}`;
    if (!found.has(key)) found.set(key, problem(error.instancePath, error.keyword, message(error)));
  }
  // A UUID restates its format as a pattern for validators that do not assert formats;
  // where both fail on one value, the format's message says it once, better.
  const formats = new Set([...found.values()].filter((p) => p.keyword === "format").map((p) => p.pointer));
  return [...found.values()].filter((p) => !(p.keyword === "pattern" && formats.has(p.pointer))).sort(compareProblems);
}

// The event type of a decoded payload, or throws InvalidEvent / UnknownEventType.
function check(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidEvent([problem("", "type", `expected a JSON object, got ${jsonType(value)}`)]);
  }
  const eventType = value.event_type;
  let validate;
  if (typeof eventType === "string") {
    const fast = FAST[eventType]; // a prototype-less object: "__proto__" is just unknown
    if (fast === undefined) throw new UnknownEventType(eventType);
    if (fast(value)) return eventType; // the verdict in one pass; the full validator only for the problems
    validate = VALIDATORS[eventType];
  } else {
    validate = V.base;
  }
  if (validate(value)) return eventType;
  throw new InvalidEvent(problemsFrom(validate.errors || []), typeof eventType === "string" ? eventType : null);
}

/**
 * A validated event from JSON text (a string, or UTF-8 bytes), typed by its `event_type`.
 * Throws InvalidEvent (every problem, sorted) or UnknownEventType (a well-formed event of a
 * type this package does not know).
 */
function parseEvent(body, options = {}) {
  return decodeAndCheck(body, options.maxBytes ?? DEFAULT_MAX_BYTES);
}

/**
 * Every problem of a payload (a decoded value; a string or Uint8Array is read as JSON text),
 * empty when it is a valid event. An unknown event type is one problem with keyword event_type.
 */
function validateEvent(value, options = {}) {
  try {
    if (typeof value === "string" || value instanceof Uint8Array) decodeAndCheck(value, options.maxBytes ?? DEFAULT_MAX_BYTES);
    else check(value);
    return [];
  } catch (error) {
    if (error instanceof InvalidEvent) return error.problems.slice();
    if (error instanceof UnknownEventType) return [problem("/event_type", "event_type", error.message)];
    throw error;
  }
}

/** Whether a decoded value is a valid event of the catalog. */
function isEvent(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) return false;
  const validate = typeof value.event_type === "string" ? FAST[value.event_type] : undefined;
  return validate !== undefined && validate(value);
}

function guard(eventType) {
  const validate = FAST[eventType];
  return (value) =>
    value !== null && typeof value === "object" && !Array.isArray(value) && value.event_type === eventType && validate(value);
}
