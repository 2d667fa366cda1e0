#!/usr/bin/env bash
# Runs a server program as a user would, fetches one page, sends SIGTERM and expects a clean exit.
# Usage: serve_and_stop.sh PATH EXPECTED -- [VAR=value ...] COMMAND [ARGS ...]
#   The program must log "address=HOST:PORT" or "base_url=http://HOST:PORT" once it listens
#   (run it with port 0 through an environment override); PATH is fetched from there and the
#   answer must contain EXPECTED, in which {base} stands for http://HOST:PORT.
set -euo pipefail
path=$1 expected=$2
shift 3
log=$(mktemp)
env "$@" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
base=""
for _ in $(seq 100); do
  found=$(grep -oE '(address=|base_url=http://)[0-9.]+:[0-9]+' "$log" | head -1) || true
  [ -n "$found" ] && base="http://${found#*=}" && base="http://${base##*//}" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$base" ] || { echo "the program did not report where it listens:"; cat "$log"; exit 1; }
answer=$(curl -sf "$base$path")
want=${expected//\{base\}/$base}
[[ "$answer" == *"$want"* ]] || { echo "GET $base$path answered: $answer"; echo "expected it to contain: $want"; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { echo "exited with $status after SIGTERM:"; cat "$log"; exit 1; }
echo "GET $path answered as expected at $base; stopped cleanly on SIGTERM"
