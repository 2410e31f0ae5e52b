#!/usr/bin/env bash
# Walks one EHR launch the way a browser does, against the running demo
# (`dotnet run --project sandbox/Sandbox.Demo`): the sandbox launcher -> the app's /launch ->
# the sandbox's authorize -> the app's /callback -> the app's first page; then GET /api/context.
# Usage: bash tests/smoke/launch.sh [patient] [practitioner]
set -euo pipefail
SANDBOX="${SANDBOX:-http://127.0.0.1:5080}"
APP="${APP:-http://127.0.0.1:5090}"
PATIENT="${1:-classic-left}"
PRACTITIONER="${2:-surgeon-1}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jar="$work/cookies"

echo "1. Launch from the sandbox EHR: patient=$PATIENT practitioner=$PRACTITIONER"
final=$(curl -sS -L --max-redirs 10 -c "$jar" -b "$jar" -o "$work/page.html" -w '%{http_code} %{url_effective}' \
  "$SANDBOX/launcher/launch?practitioner=$PRACTITIONER&patient=$PATIENT&encounter=$PATIENT-surgery")
code=${final%% *}; url=${final#* }
echo "   ended on $url (HTTP $code)"
if [ "$code" != 200 ] || [[ "$url" != "$APP/s/"* ]]; then
  echo "FAIL: the launch did not reach the app's page" >&2
  sed -e 's/<[^>]*>/ /g' "$work/page.html" | tr -s ' ' | head -c 600 >&2; echo >&2
  exit 1
fi
grep -q "Case for occipital nerve rhizotomy" "$work/page.html" || { echo "FAIL: the page shows no case evidence" >&2; exit 1; }

echo "2. GET $APP/api/context with the same browser session"
curl -sS -f -b "$jar" "$APP/api/context" -o "$work/context.json"
if command -v python3 >/dev/null 2>&1; then
  python3 - "$work/context.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print("   patient:     ", c.get("patientId"), "-", (c.get("patient") or {}).get("name"))
print("   practitioner:", c.get("fhirUser"), "-", (c.get("practitioner") or {}).get("name"))
print("   encounter:   ", c.get("encounterId"))
print("   read-only:   ", c["mode"]["readOnly"], "  scopes granted:", len(c.get("grantedScopes", [])))
ev = c.get("evidence") or {}
print("   evidence:    ", len(ev.get("diagnoses", [])), "diagnoses,", len(ev.get("blocks", [])), "blocks,",
      len(ev.get("therapies", [])), "therapies,", len(ev.get("imaging", [])), "imaging; gaps:", [g["code"] for g in ev.get("gaps", [])])
print("   chart read:  ", (c.get("chart") or {}).get("roundTrips"), "requests,", (c.get("chart") or {}).get("resourcesRead"), "resources")
PY
else
  head -c 800 "$work/context.json"; echo
fi
echo "OK"
