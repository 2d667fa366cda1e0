#!/bin/sh
# The Grafana dashboard asks only for metrics the code exports: every onbehalf_* name in its
# queries (less a histogram's _bucket/_sum/_count) must appear in a source file.
set -eu
root=${1:-.}
dashboard="$root/docs/dashboards/onbehalf-grafana.json"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$dashboard"
missing=0
for name in $(grep -o 'onbehalf_[a-z0-9_]*' "$dashboard" | sed 's/_bucket$//' | sort -u); do
  if ! grep -rq --include='*.cpp' --include='*.hpp' "\"$name\|$name[{ \"]" "$root/actors" "$root/http" "$root/cache" "$root/redis"; then
    echo "dashboard: $name is not exported by any source file"
    missing=1
  fi
done
[ "$missing" = 0 ] && echo "dashboard: every metric it queries is exported"
exit "$missing"
