# Shell functions the end-to-end benchmarks share: servers started and stopped by PID, wrk runs
# measured with the CPU each server spent, medians. Sourced by bench/end-to-end and
# bench/several-instances after they set: work (a directory of their own), connections.

pids=()
server_names=()
bench_stop_all() {
  # CONT as well: a server a benchmark froze with SIGSTOP would not act on TERM.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; kill -CONT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap bench_stop_all EXIT INT TERM

# Starts a server in the background with its log in the work directory and waits until URL answers
# (up to 30 s: under callgrind the app starts slowly).
start() { # NAME URL COMMAND...
  local name=$1 url=$2
  shift 2
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  server_names+=("$name")
  for _ in $(seq 300); do
    curl -s -o /dev/null "$url" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: $name did not start; its log:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# The sample's authority with USERS more people and its port changed, written to OUTPUT; it also
# sends people back to the sign-in callback of each APP_ORIGIN.
write_authority_config() { # USERS AUTHORITY_PORT OUTPUT APP_ORIGIN...
  local count=$1 port=$2 output=$3
  shift 3
  local user_entries redirects=""
  user_entries=$(for i in $(seq "$count"); do
    printf '          { "UserName": "user%03d@%s", "Password": "%s", "DisplayName": "Bench User %03d", "ObjectId": "c0000000-0000-4000-8000-%012d" },\n' \
      "$i" "$tenant" "$password" "$i" "$i"
  done)
  for origin in "$@"; do redirects+="\"$origin/signin-oidc\", "; done
  awk -v users="$user_entries" '{ print } /"Users": \[/ { print users }' examples/devauthority.json |
    sed -e "s|\"Port\": 5100|\"Port\": $port|" -e "s|\"http://127.0.0.1:5000/signin-oidc\"|$redirects\"http://127.0.0.1:5000/signin-oidc\"|" >"$output"
}

# CPU time (user + system, in clock ticks) a server and its live children (nginx's workers) have
# used so far.
cpu_ticks() { # PID
  local p total=0
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
ticks_per_second=$(getconf CLK_TCK)

declare -A rps p50 p99 cpu requests
# One wrk run; fails the benchmark if any answer was not 200. Also keeps the CPU time each
# server spent on the run, so the summary can say where the time goes.
measure() { # NAME SECONDS URL [COOKIE_FILE] [wrk options...]
  local name=$1 seconds=$2 url=$3 cookies=${4:-}
  shift 4 || shift $#
  local out="$work/wrk-$name.txt" before=() i TIMEFORMAT='%U %S'
  for i in "${!pids[@]}"; do before[i]=$(cpu_ticks "${pids[i]}"); done
  { time wrk -t1 -c"$connections" -d"${seconds}s" --latency "$@" -s "${script:-bench/end-to-end.lua}" "$url" -- $cookies >"$out" 2>&1; } 2>"$out.cpu"
  for i in "${!pids[@]}"; do
    cpu[$name,${server_names[i]}]=$(awk -v t="$(($(cpu_ticks "${pids[i]}") - before[i]))" -v hz="$ticks_per_second" 'BEGIN { print t / hz }')
  done
  cpu[$name,wrk]=$(awk '{ print $1 + $2 }' "$out.cpu")
  if ! grep -q '^unexpected answers: 0$' "$out"; then
    echo "bench: run $name had answers other than 200:" >&2
    cat "$out" >&2
    exit 1
  fi
  rps[$name]=$(awk '/Requests\/sec/ {print $2}' "$out")
  requests[$name]=$(awk '/requests in/ { print $1 }' "$out")
  p50[$name]=$(awk '$1 == "50%" {print $2}' "$out")
  p99[$name]=$(awk '$1 == "99%" {print $2}' "$out")
}

# The median of numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# wrk's latency ("678.00us", "2.10ms", "1.05s") in milliseconds.
in_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v !~ /ms$/) n *= 1000; printf "%.2f", n }'; }
# Folds the rounds NAME1..NAMEn into NAME: the medians of req/s, p50 and p99; CPU and requests summed.
fold_rounds() { # NAME
  local name=$1 i process r=() a=() b=()
  for i in $(seq "$rounds"); do
    r+=("${rps[$name$i]}") a+=("$(in_ms "${p50[$name$i]}")") b+=("$(in_ms "${p99[$name$i]}")")
  done
  rps[$name]=$(median "${r[@]}") p50[$name]=$(median "${a[@]}")ms p99[$name]=$(median "${b[@]}")ms
  requests[$name]=0
  for process in wrk "${server_names[@]}"; do cpu[$name,$process]=0; done
  for i in $(seq "$rounds"); do
    requests[$name]=$((requests[$name] + requests[$name$i]))
    for process in wrk "${server_names[@]}"; do
      cpu[$name,$process]=$(awk -v a="${cpu[$name,$process]}" -v b="${cpu[$name$i,$process]}" 'BEGIN { print a + b }')
    done
  done
}

# Token requests of one grant type the dev authority has answered so far.
token_grants() { # AUTHORITY_URL GRANT_TYPE
  curl -sf "$1/admin/token-requests" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | grep . || echo 0
}
refresh_grants() { token_grants "$1" refresh_token; }
