#!/usr/bin/env bash
# Installs Mailbanner, migrates the embedded SQLite banner database, loads demo data and runs the API,
# the sync worker and the beat, with SQLite stand-ins for the two delivery databases. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source .venv/bin/activate

export MAILBANNER_PORT="${MAILBANNER_PORT:-8000}"
export MAILBANNER_TARGETS_FILE="${MAILBANNER_TARGETS_FILE:-deploy/dev/targets.toml}"
export MAILBANNER_PUBLIC_BASE_URL="${MAILBANNER_PUBLIC_BASE_URL:-http://127.0.0.1:${MAILBANNER_PORT}}"
export MAILBANNER_BEAT_INTERVAL_SECONDS="${MAILBANNER_BEAT_INTERVAL_SECONDS:-60}"
mkdir -p var/log var/targets

mailbanner db upgrade
mailbanner target create-standins
mailbanner demo load | tee var/demo-tokens.txt
viewer_token=$(awk '$1 == "viewer" {print $3}' var/demo-tokens.txt)

pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

mailbanner worker --concurrency 2 >var/log/worker.log 2>&1 & pids+=($!)
mailbanner beat >var/log/beat.log 2>&1 & pids+=($!)
mailbanner serve --port "$MAILBANNER_PORT" >var/log/api.log 2>&1 & pids+=($!)
# Flower only on loopback here; in a cluster it sits behind basic auth (docs/deploy.md).
mailbanner flower --port "${MAILBANNER_FLOWER_PORT:-5555}" >var/log/flower.log 2>&1 & pids+=($!)

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:${MAILBANNER_PORT}/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
month=$(date +%Y-%m)
cat <<INFO

Mailbanner is running (logs in var/log/):
  API docs      http://127.0.0.1:${MAILBANNER_PORT}/api/v1/docs
  Tokens        var/demo-tokens.txt (one per role; send as "Authorization: Bearer <token>")
  Calendar      curl -H "Authorization: Bearer ${viewer_token}" 'http://127.0.0.1:${MAILBANNER_PORT}/api/v1/calendar?month=${month}&target=personalized'
  Preview       curl -H "Authorization: Bearer ${viewer_token}" 'http://127.0.0.1:${MAILBANNER_PORT}/api/v1/preview?date=$(date +%F)&target=mass&format=html'
  Sync status   curl -H "Authorization: Bearer ${viewer_token}" http://127.0.0.1:${MAILBANNER_PORT}/api/v1/sync/status
  KPIs          curl -H "Authorization: Bearer ${viewer_token}" http://127.0.0.1:${MAILBANNER_PORT}/api/v1/kpis
  Console       http://127.0.0.1:${MAILBANNER_PORT}/  (paste a token from var/demo-tokens.txt)
  Flower        http://127.0.0.1:${MAILBANNER_FLOWER_PORT:-5555}/
  Metrics       http://127.0.0.1:${MAILBANNER_PORT}/metrics (API), :${MAILBANNER_WORKER_METRICS_PORT:-9101} (worker), :${MAILBANNER_BEAT_METRICS_PORT:-9102} (beat)
  Target rows   MAILBANNER_TARGETS_FILE=${MAILBANNER_TARGETS_FILE} .venv/bin/mailbanner target rows personalized
Press Ctrl-C to stop.
INFO
wait -n "${pids[@]}"
echo "a process stopped; see var/log/" >&2
exit 1
