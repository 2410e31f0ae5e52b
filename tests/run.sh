#!/usr/bin/env bash
# Runs the whole test suite. Whatever the tests need beyond the .NET SDK (Debian packages such as
# chromium, nginx, postgresql, redis-server) is installed first when missing and when we can (root, apt).
set -euo pipefail
cd "$(dirname "$0")/.."

# command-on-PATH:debian-package pairs the suites need.
# pg_ctlcluster (postgresql-common) comes with the server package; the server binaries are under /usr/lib/postgresql/<ver>/bin.
needs=("redis-server:redis-server" "pg_ctlcluster:postgresql" "chromium:chromium" "nginx:nginx")

missing=()
for pair in "${needs[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing test prerequisites: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing test prerequisites (install them, then run again): ${missing[*]}" >&2
    exit 1
  fi
fi

# The independent FHIR server's node modules (npm; pinned by tests/IndependentFhir/package-lock.json).
if [ ! -d tests/IndependentFhir/node_modules ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "Installing the independent FHIR server's node modules (npm ci in tests/IndependentFhir)"
    (cd tests/IndependentFhir && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "Missing test prerequisite: npm (Node.js), for tests/IndependentFhir" >&2
    exit 1
  fi
fi

results="TestResults"
rm -rf "$results"
status=0
dotnet test Plugin.sln --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@" || status=$?

# One plain closing line over every test assembly.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
