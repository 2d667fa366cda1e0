#!/usr/bin/env bash
# The browser tests: starts the development authority, the sample API, the sample web API and the sample web app on
# free loopback ports (their example configurations, changed through environment variables), then
# drives Debian's chromium through the sample with sample_app.mjs. Screenshots of each page land in
# tests/browser/artifacts/. Everything started here is stopped here, by PID.
#   tests/browser/run.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[ -d "$here/node_modules/playwright-core" ] || { echo "browser: playwright-core is not installed: run \`npm ci --prefix tests/browser\` (scripts/test does this)"; exit 1; }
command -v chromium >/dev/null || { echo "browser: chromium is not installed: run scripts/setup"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Four free loopback ports: the authority's, the API's, the app's, the web API's.
read -r auth api app webapi < <(node -e '
  const net = require("net");
  const servers = [0, 1, 2, 3].map(() => net.createServer().listen(0, "127.0.0.1"));
  Promise.all(servers.map(s => new Promise(r => s.on("listening", r)))).then(() => {
    console.log(servers.map(s => s.address().port).join(" "));
    servers.forEach(s => s.close());
  });')

start() { # NAME PATTERN COMMAND...
  local name=$1 pattern=$2 log="$work/$1.log"
  shift 2
  env "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do
    grep -qE "$pattern" "$log" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "browser: $name did not start:"; cat "$log"; exit 1
}

tenant=7f9c1a2e-5b6d-4c3e-9a8b-0c1d2e3f4a5b
start devauthority 'base_url=http://' DevAuthority__Port=$auth \
  DevAuthority__Tenants__0__Apps__0__RedirectUris__0=http://127.0.0.1:$app/signin-oidc \
  DevAuthority__Tenants__0__Apps__0__PostLogoutRedirectUris__0=http://127.0.0.1:$app/signout-callback-oidc \
  "$build/devauthority/onbehalf-devauthority" --config "$root/examples/devauthority.json"
start sample-api 'Sample API ready' SampleApi__Port=$api SampleApi__Authority=http://127.0.0.1:$auth/$tenant/v2.0 \
  "$build/examples/sample_api/onbehalf-sample-api" --config "$root/examples/sampleapi.json"
start sample-webapi 'address=127.0.0.1' Onbehalf__Port=$webapi AzureAd__Instance=http://127.0.0.1:$auth/ \
  DownstreamApis__TodoList__BaseUrl=http://127.0.0.1:$api DownstreamApis__TodoApp__BaseUrl=http://127.0.0.1:$api \
  DownstreamApis__GraphAPI__BaseUrl=http://127.0.0.1:$api/v1.0 DownstreamApis__Mail__BaseUrl=http://127.0.0.1:$api/v1.0 \
  "$build/examples/sample_webapi/onbehalf-sample-webapi" --config "$root/examples/samplewebapi.json"
start sample-app 'address=127.0.0.1' Onbehalf__Port=$app AzureAd__Instance=http://127.0.0.1:$auth/ Onbehalf__Cache__Path="$work/cache" \
  DownstreamApis__MyAPI__BaseUrl=http://127.0.0.1:$api DownstreamApis__TodoList__BaseUrl=http://127.0.0.1:$api \
  DownstreamApis__GraphAPI__BaseUrl=http://127.0.0.1:$api/v1.0 DownstreamApis__GraphMail__BaseUrl=http://127.0.0.1:$api/v1.0 \
  DownstreamApis__Overview__BaseUrl=http://127.0.0.1:$webapi \
  "$build/examples/sample_app/onbehalf-sample" --config "$root/examples/appsettings.json"

node "$here/sample_app.mjs" "http://127.0.0.1:$app" "http://127.0.0.1:$auth"
