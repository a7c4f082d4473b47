#!/usr/bin/env bash
# CI for the TypeScript example client, from a fresh clone:
#   1. npm ci
#   2. codegen from ../../schema.graphql and ../../examples/*.graphql
#      (fails when an example operation does not validate against the schema)
#   3. tsc --noEmit (strict)
#   4. start the server from the repo root on a fresh data dir and a free port,
#      wait for GET /health to answer 200
#   5. run the client against it
# The server is always stopped at the end. Exit code = overall result.
#
# Environment:
#   SERVER_START_TIMEOUT  seconds to wait for /health (default 900: a fresh
#                         clone compiles the server first)
#   KEEP_DATA_DIR=1       keep the temporary data dir and server log
set -euo pipefail

CLIENT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CLIENT_DIR/../.." && pwd)"
SERVER_START_TIMEOUT="${SERVER_START_TIMEOUT:-900}"

WORK_DIR=""
SERVER_PID=""

log() { printf '==> %s\n' "$*"; }

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping server (pid $SERVER_PID)"
    # The server runs in its own process group; signal the whole group.
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server did not stop on SIGTERM; sending SIGKILL"
      kill -KILL -- "-$SERVER_PID" 2>/dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_server
  if [[ -n "$WORK_DIR" ]]; then
    if [[ "${KEEP_DATA_DIR:-0}" == "1" ]]; then
      log "kept $WORK_DIR"
    else
      rm -rf "$WORK_DIR"
    fi
  fi
  if [[ $status -eq 0 ]]; then
    log "CI passed"
  else
    log "CI FAILED (exit $status)"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_log() {
  if [[ -n "$WORK_DIR" && -f "$WORK_DIR/server.log" ]]; then
    echo "---- last 40 lines of the server log ----" >&2
    tail -n 40 "$WORK_DIR/server.log" >&2 || true
    echo "-----------------------------------------" >&2
  fi
}

# Answers the HTTP status of GET $1, or 000 when nothing answers.
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true
  else
    node -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
        .then((r) => console.log(r.status), () => console.log("000"));
    ' "$1"
  fi
}

cd "$CLIENT_DIR"

log "node $(node --version), npm $(npm --version)"

log "npm ci"
npm ci --no-audit --no-fund

log "codegen (schema: ../../schema.graphql, documents: ../../examples/*.graphql)"
rm -rf src/gql
npx --no-install graphql-codegen --config codegen.ts

log "type-check (tsc --noEmit, strict)"
npx --no-install tsc --noEmit

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/instanext-ci.XXXXXX")"
DATA_DIR="$WORK_DIR/data"
mkdir -p "$DATA_DIR"
PORT="$(node -e '
  const server = require("net").createServer();
  server.listen(0, "127.0.0.1", () => {
    console.log(server.address().port);
    server.close();
  });
')"
BASE_URL="http://127.0.0.1:$PORT"

log "starting server: cargo run --release -- --data-dir $DATA_DIR --bind-addr 127.0.0.1:$PORT"
(
  cd "$REPO_ROOT"
  # setsid: own process group, so stop_server can end cargo and the server together.
  exec setsid cargo run --release -- --data-dir "$DATA_DIR" --bind-addr "127.0.0.1:$PORT"
) >"$WORK_DIR/server.log" 2>&1 </dev/null &
SERVER_PID=$!

log "waiting for GET $BASE_URL/health to answer 200 (up to ${SERVER_START_TIMEOUT}s)"
deadline=$((SECONDS + SERVER_START_TIMEOUT))
while true; do
  status="$(http_status "$BASE_URL/health")"
  if [[ "$status" == "200" ]]; then
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "server exited before becoming healthy" >&2
    show_server_log
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "server not healthy after ${SERVER_START_TIMEOUT}s (last status: $status)" >&2
    show_server_log
    exit 1
  fi
  sleep 0.5
done
log "server healthy after ${SECONDS}s of CI"

log "running client: npx tsx src/main.ts"
client_status=0
INSTANEXT_GRAPHQL_URL="$BASE_URL/graphql" npx --no-install tsx src/main.ts || client_status=$?
if [[ $client_status -ne 0 ]]; then
  echo "client failed (exit $client_status)" >&2
  show_server_log
  exit "$client_status"
fi
