#!/usr/bin/env bash
# Publishes the app (framework-dependent: the target needs only the ASP.NET Core runtime, no SDK) and,
# with --check, starts the published output once against nothing but its own settings and waits for
# /health/ready, then stops it. Usage: bash src/Rhizotomy.App/deploy/publish.sh [OUTPUT] [--check]
# (no OUTPUT: a new temporary folder, printed at the end of the publish).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$(mktemp -d)/rhizotomy}"
check="${2:-}"
dotnet publish "$root/src/Rhizotomy.App/Rhizotomy.App.csproj" -c Release -o "$out" --nologo -v quiet
echo "published to $out"
if [ "$check" != "--check" ]; then
  exit 0
fi
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# Only the runtime and the published folder: started from another folder, with the settings an operator gives.
(cd "$work" && \
  Urls="http://127.0.0.1:$port" \
  App__PublicOrigin="http://127.0.0.1:$port" \
  App__DataProtectionKeys="$work/keys" \
  App__WriteBack__ConnectionString="Data Source=$work/outbox.db" \
  App__Ehrs__0__Issuer="https://ehr.example.org/fhir" \
  App__Ehrs__0__ClientId="publish-check" \
  App__Ehrs__0__Custodian="Organization/publish-check" \
  exec dotnet "$out/Rhizotomy.App.dll") > "$work/app.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
    # The published wwwroot is served (fingerprinted style) and the migrations ran (the store exists).
    curl -fsS "http://127.0.0.1:$port/" | grep -q 'app\.[a-z0-9]*\.css' || { echo "home page without its style" >&2; exit 1; }
    test -s "$work/outbox.db" || { echo "no outbox store" >&2; exit 1; }
    echo "published app ready on port $port"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$work/app.log" >&2
    exit 1
  fi
  sleep 0.5
done
cat "$work/app.log" >&2
exit 1
