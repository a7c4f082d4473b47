#!/usr/bin/env bash
# Starts the server on a fresh embedded database and runs the graphql-http
# audit suite against it. Exit code: 0 when every MUST passes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

# Built before the server starts, so that the wait for /health below does not
# have to cover a compilation.
(cd "$root" && cargo build --release --locked -p instanext-api)

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$data/server.log"
(cd "$root" && cargo run --release --locked --quiet -p instanext-api -- --data-dir "$data/data" --bind-addr "127.0.0.1:$port" \
    >"$log" 2>&1) &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 1
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { cat "$log"; exit 1; }

GRAPHQL_URL="http://127.0.0.1:$port/graphql" node audit.mjs
