#!/usr/bin/env bash
# Time from `java -jar` to /health/ready 200 and to the first ticket routed (issue 18, ready at start):
#   a. a fresh install with the bundled demo (empty BATON_TRIAGE_CACHE_DIR: the trained state comes from the jar)
#   b. a second start with that cache folder
#   c. 5,000 examples of our own making (every other row of train.csv, each text lightly varied so the
#      SHA-256 differs) on a fresh cache, sampling GET /api/routing's classifierProgress every 5 s
#   d. those 5,000 again, with the cache c. filled
# The first ticket is submitted as soon as the port answers (POST /api/tickets?wait=PT30S, then
# GET /api/tickets/{id}?wait=PT30S until it is no longer TRIAGING).
#
# Usage, from the repository root, after `mvn -o -B -q -pl web-console -am package -DskipTests`:
#   benchmarks/triage-startup.sh [web-console/target/baton.jar] [a,b,c,d]
# Needs curl and python3. Writes the servers' logs and the progress samples under target/triage-startup/.
set -euo pipefail

JAR=${1:-web-console/target/baton.jar}
PARTS=${2:-a,b,c,d}
OUT=target/triage-startup
rm -rf "$OUT"
mkdir -p "$OUT"
TICKET='{"subject": "Card still not here", "body": "I ordered my card two weeks ago and it has not arrived."}'

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('$1'))"; }

# run NAME CACHE_DIR [EXAMPLES]: starts a server, measures, stops it
run() {
  local name=$1 cache=$2 examples=${3:-}
  local port data log start live ready routed status id answer pid
  port=$(free_port)
  data=$(mktemp -d)
  log="$OUT/$name.log"
  start=$(now_ms)
  BATON_PORT=$port BATON_DATA_DIR=$data BATON_TRIAGE_CACHE_DIR=$cache BATON_TRIAGE_EXAMPLES=$examples \
    java -jar "$JAR" >"$log" 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  local base="http://127.0.0.1:$port"
  until curl -sf -o /dev/null "$base/health/live"; do
    kill -0 $pid 2>/dev/null || { echo "$name: the server stopped; see $log"; exit 1; }
    sleep 0.05
  done
  live=$(now_ms)
  # the first ticket, submitted as soon as the server answers
  answer=$(curl -s -XPOST "$base/api/tickets?wait=PT30S" -H 'Content-Type: application/json' -d "$TICKET")
  id=$(echo "$answer" | json_field id)
  status=$(echo "$answer" | json_field status)
  # progress samples while not ready
  (
    while kill -0 $pid 2>/dev/null; do
      r=$(curl -s "$base/api/routing" || true)
      echo "$(( $(now_ms) - start )) ms: $(echo "$r" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("classifierReady"), json.dumps(d.get("classifierProgress")))' 2>/dev/null || echo "?")"
      [[ "$r" == *'"classifierReady":true'* ]] && break
      sleep 5
    done
  ) >"$OUT/$name.progress" &
  local sampler=$!
  while [ "$status" = "TRIAGING" ]; do
    answer=$(curl -s "$base/api/tickets/$id?wait=PT30S")
    status=$(echo "$answer" | json_field status)
  done
  routed=$(now_ms)
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready")" = 200 ]; do sleep 0.05; done
  ready=$(now_ms)
  wait $sampler 2>/dev/null || true
  kill $pid; wait $pid 2>/dev/null || true
  trap - EXIT
  rm -rf "$data"
  printf '%-28s port answers %6d ms | /health/ready 200 %7d ms | first ticket %s (%s) %7d ms\n' "$name" \
    $((live - start)) $((ready - start)) "$status" "$(echo "$answer" | json_field category)" $((routed - start))
  if [ "$(wc -l <"$OUT/$name.progress")" -gt 1 ]; then sed 's/^/    /' "$OUT/$name.progress"; fi
}

BUNDLED_CACHE=$(mktemp -d)
OWN_CACHE=$(mktemp -d)
OWN=$OUT/own-5000.csv
python3 - "$OWN" "$JAR" <<'EOF'
import csv, io, sys, zipfile
# train.csv from the jar (the jar holds agent-tools' jar or its classes)
def find(jar):
    with zipfile.ZipFile(jar) as z:
        for n in z.namelist():
            if n.endswith('dev/baton/triage/banking77/train.csv'):
                return z.read(n).decode('utf-8')
            if n.endswith('.jar') and 'agent-tools' in n:
                return find(io.BytesIO(z.read(n)))
text = find(sys.argv[2])
rows = list(csv.reader(io.StringIO(text)))
header, rows = rows[0], rows[1:]
variants = ['Hi, {}', '{} Thanks.', 'Hello! {}', '{} Please help.', 'Quick question: {}']
with open(sys.argv[1], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(header)
    for i, (t, c) in enumerate(rows[::2][:5000]):
        w.writerow([variants[i % len(variants)].format(t), c])
EOF
[ "$(wc -l <"$OWN")" -gt 5000 ] || { echo "could not make $OWN"; exit 1; }

if [[ ,$PARTS, == *,a,* ]]; then run "a. bundled, fresh install" "$BUNDLED_CACHE"; fi
if [[ ,$PARTS, == *,b,* ]]; then run "b. bundled, second start" "$BUNDLED_CACHE"; fi
if [[ ,$PARTS, == *,c,* ]]; then run "c. 5,000 own, fresh cache" "$OWN_CACHE" "$PWD/$OWN"; fi
if [[ ,$PARTS, == *,d,* ]]; then run "d. 5,000 own, second start" "$OWN_CACHE" "$PWD/$OWN"; fi
rm -rf "$BUNDLED_CACHE" "$OWN_CACHE"
