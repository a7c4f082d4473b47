#!/usr/bin/env bash
# Headless-browser test of GraphiQL: starts the server on a fresh database and
# a free loopback port, then drives GraphiQL in Debian's Chromium with every
# request off this machine blocked (graphiql.test.mjs). Exits with the test's
# status. Works from a fresh clone, as root (as CI runs it).
set -euo pipefail

BROWSER_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$BROWSER_DIR/../.." && pwd)"
CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "== installing Debian's chromium"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
"$CHROMIUM" --version 2>/dev/null

echo "== npm ci"
(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund)

# Built before the server starts, so that the wait for /health below does not
# have to cover a compilation.
echo "== cargo build --release"
(cd "$REPO_ROOT" && cargo build --release --locked -p instanext-api)

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/instanext-browser.XXXXXX")"
PORT="$(node -e '
    const server = require("node:net").createServer();
    server.listen(0, "127.0.0.1", () => {
        console.log(server.address().port);
        server.close();
    });
')"
BASE_URL="http://127.0.0.1:$PORT"
SERVER_LOG="$WORK_DIR/server.log"
SERVER_PID=""

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        # The server leads its own process group (setsid below): end it all.
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    fi
    # The database goes; the log and the screenshot stay for a look afterwards.
    rm -rf "$WORK_DIR/data"
}
trap stop_server EXIT

echo "== starting the server on $BASE_URL (log: $SERVER_LOG)"
cd "$REPO_ROOT"
setsid cargo run --release --locked -p instanext-api -- \
    --data-dir "$WORK_DIR/data" --bind-addr "127.0.0.1:$PORT" \
    >"$SERVER_LOG" 2>&1 </dev/null &
SERVER_PID=$!

healthy() {
    node -e '
        fetch(process.argv[1])
            .then((response) => process.exit(response.ok ? 0 : 1))
            .catch(() => process.exit(1));
    ' "$BASE_URL/health"
}
# The first start seeds the demo data, which takes a few seconds.
for _ in $(seq 1 120); do
    healthy && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the server exited before it was ready:" >&2
        cat "$SERVER_LOG" >&2
        exit 1
    fi
    sleep 1
done
if ! healthy; then
    echo "the server was not ready after 120 seconds:" >&2
    tail -n 50 "$SERVER_LOG" >&2
    exit 1
fi

echo "== node --test"
status=0
(
    cd "$BROWSER_DIR"
    INSTANEXT_URL="$BASE_URL" SCREENSHOT_PATH="$WORK_DIR/graphiql.png" \
        CHROMIUM_PATH="$CHROMIUM" node --test graphiql.test.mjs
) || status=$?

if [ "$status" -ne 0 ]; then
    echo "== server log (last 50 lines)" >&2
    tail -n 50 "$SERVER_LOG" >&2
fi
exit "$status"
