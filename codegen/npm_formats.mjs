// The catalog's two string formats, exactly as the Python package asserts them
// (src/access_events/_formats.py and _rfc3339.py): the npm package's validators use these,
// precompiled, instead of ajv-formats' `uuid` and `date-time`, because
// - ajv-formats' `uuid` also accepts `urn:uuid:…`, and its `date-time` also accepts a space
//   for `T` and an offset without its colon (the schemas' patterns catch both, but the
//   problems would then be reported under another keyword than Python's);
// - ajv-formats' full `date-time` check cost four times JSON.parse of a whole event on
//   `make bench` (two date-times per event), the `fast` mode skips the calendar checks
//   (2025-02-30 would pass); parseEvent's budget is three times JSON.parse.
// The differential test (contract_tests/test_npm_package.py) holds these to the Python
// verdicts over the samples, the edge cases and 4,500 mutated UUIDs and date-times.

/** A UUID's shape, 8-4-4-4-12 hexadecimal digits in either case; version bits are not checked. */
export const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// The grammar only, without captures: the fields sit at fixed places up to the seconds, the
// offset is the last one or six characters.
const DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(value, at) {
  return (value.charCodeAt(at) - 48) * 10 + value.charCodeAt(at + 1) - 48;
}

/** RFC 3339 §5.6 date-time: the grammar (T and Z in either case), the calendar, the ranges,
 * and a leap second only at 23:59:60 UTC (whatever the offset it is written in). */
export function dateTime(value) {
  if (!DATE_TIME.test(value)) return false;
  const year = digits(value, 0) * 100 + digits(value, 2);
  const month = digits(value, 5);
  const day = digits(value, 8);
  const hour = digits(value, 11);
  const minute = digits(value, 14);
  const second = digits(value, 17);
  if (month < 1 || month > 12 || day < 1) return false;
  const leapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leapYear ? 29 : DAYS_IN_MONTH[month - 1])) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  let offset = 0;
  const end = value.length;
  const last = value.charCodeAt(end - 1);
  if (last !== 90 && last !== 122) {  // not Z or z: [+-]HH:MM
    const offHour = digits(value, end - 5);
    const offMinute = digits(value, end - 2);
    if (offHour > 23 || offMinute > 59) return false;
    offset = (offHour * 60 + offMinute) * (value.charCodeAt(end - 6) === 43 ? 1 : -1);
  }
  if (second === 60) {
    const utcMinutes = (((hour * 60 + minute - offset) % 1440) + 1440) % 1440;
    if (utcMinutes !== 23 * 60 + 59) return false;
  }
  return true;
}

/** The same, also refusing year 0000 (which the schemas' date-time `pattern` excludes): the
 * fast validators check this format instead of the format and the pattern. */
export function dateTimeNotYearZero(value) {
  return dateTime(value) && !value.startsWith("0000");
}
