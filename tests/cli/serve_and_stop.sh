#!/usr/bin/env bash
# Runs `onbehalf serve` as a user would, checks /healthz answers, sends SIGTERM and
# expects a clean exit. Usage: serve_and_stop.sh ONBEHALF_BINARY CONFIG_FILE
set -euo pipefail
binary=$1 config=$2
log=$(mktemp)
# Port 0: the system picks a free port, which the "Listening" log line reports.
Onbehalf__Port=0 Onbehalf__Cache__Backend=Memory "$binary" serve --config "$config" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  address=$(grep -o 'address=127.0.0.1:[0-9]*' "$log" | head -1 | cut -d= -f2) || true
  [ -n "${address:-}" ] && break
  sleep 0.1
done
[ -n "${address:-}" ] || { echo "onbehalf did not report a listening address:"; cat "$log"; exit 1; }
body=$(curl -sf "http://$address/healthz")
[ "$body" = '{"status":"ok"}' ] || { echo "unexpected /healthz answer: $body"; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { echo "onbehalf exited with $status after SIGTERM:"; cat "$log"; exit 1; }
grep -q 'HTTP server stopped' "$log" || { echo "no clean shutdown in the log:"; cat "$log"; exit 1; }
echo "serve answered /healthz at $address and stopped cleanly on SIGTERM"
