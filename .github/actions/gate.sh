#!/usr/bin/env bash
# The contract gate as action.yml runs it (also runnable by hand from a repository's top):
# compat OLD NEW with --format github (annotations on the pull request), and the markdown
# report appended to $GITHUB_STEP_SUMMARY (the job summary). Exit: compat's own (0, 1, 2).
# Environment: GATE_OLD (default git:origin/$GITHUB_BASE_REF on a pull request, else git:HEAD^),
# GATE_NEW (default schemas), GATE_CONFIG (optional), GATE_ARGS (optional extra arguments),
# ACCESS_EVENTS (the command; default access-events).
set -uo pipefail
cli=${ACCESS_EVENTS:-access-events}
old=${GATE_OLD:-}
if [ -z "$old" ]; then
  if [ -n "${GITHUB_BASE_REF:-}" ]; then old="git:origin/$GITHUB_BASE_REF"; else old="git:HEAD^"; fi
fi
new=${GATE_NEW:-schemas}
args=(compat "$old" "$new")
if [ -n "${GATE_CONFIG:-}" ]; then args+=(--config "$GATE_CONFIG"); fi
# shellcheck disable=SC2206 # extra arguments are split on spaces on purpose
if [ -n "${GATE_ARGS:-}" ]; then args+=($GATE_ARGS); fi
report=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/access-events-gate.XXXXXX")
trap 'rm -f "$report"' EXIT
"$cli" "${args[@]}" --format markdown --output "$report" 2>"$report.err"
markdown_status=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ -s "$report" ]; then
    cat "$report" >>"$GITHUB_STEP_SUMMARY"
  else  # a usage error writes no report: the summary says why instead
    { echo "### access-events compat: could not run (exit $markdown_status)"; echo; echo '```'; cat "$report.err"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
  fi
fi
rm -f "$report.err"
"$cli" "${args[@]}" --format github
