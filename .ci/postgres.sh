#!/usr/bin/env bash
# Ensure a throw-away PostgreSQL server runs on 127.0.0.1 for the test suite.
#
# Usage (from the repository root; stdout carries only the export line):
#
#     eval "$(.ci/postgres.sh)"              # start (or reuse) and export the URL
#     trap '.ci/postgres.sh stop' EXIT       # stop it when the calling script ends
#     .ci/postgres.sh stop                   # stop the server and delete its cluster
#     .ci/postgres.sh url                    # print the export line of a running server
#
# `start` (the default) is idempotent: a second call finds the running server in
# the state directory and prints the same line. The line is
#
#     export WATTPRINT_TEST_POSTGRES_URL=postgresql+psycopg://wattprint:PASSWORD@127.0.0.1:PORT/wattprint_test
#
# What it does: installs Debian's `postgresql` with apt-get when no initdb/pg_ctl
# is found (root only), picks the newest /usr/lib/postgresql/<version>/bin,
# initdb's a cluster in $WATTPRINT_PG_DIR (default: $TMPDIR/wattprint-ci-postgres)
# owned by the `postgres` user when run as root (initdb refuses root), starts it
# listening only on 127.0.0.1 on a free port with password (scram) auth, and
# creates the `wattprint_test` database owned by role `wattprint`.
# Progress messages go to stderr.
set -euo pipefail

STATE_DIR="${WATTPRINT_PG_DIR:-${TMPDIR:-/tmp}/wattprint-ci-postgres}"
DATA_DIR="$STATE_DIR/data"
DB_NAME="wattprint_test"
DB_USER="wattprint"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

find_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then
        printf '%s\n' "$dir"
    elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
    fi
}

ensure_installed() {
    if [[ -n "$(find_bindir)" ]]; then return; fi
    if [[ "$(id -u)" != 0 ]]; then
        log "PostgreSQL binaries not found and not root; install the postgresql package"
        exit 1
    fi
    log "installing postgresql with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
}

# Run a command as the cluster owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

print_url() {
    local port password
    port="$(cat "$STATE_DIR/port")"
    password="$(cat "$STATE_DIR/password")"
    printf 'export WATTPRINT_TEST_POSTGRES_URL=%s\n' \
        "postgresql+psycopg://$DB_USER:$password@127.0.0.1:$port/$DB_NAME"
}

is_running() {
    local bindir="$1"
    [[ -f "$DATA_DIR/PG_VERSION" ]] && as_owner "$bindir/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

init_cluster() {
    local bindir="$1"
    log "creating cluster in $DATA_DIR"
    rm -rf "$STATE_DIR"
    mkdir -p "$STATE_DIR"
    # A random password: the URL must carry one, so the suite checks it is masked.
    python3 -c 'import secrets; print(secrets.token_hex(12))' > "$STATE_DIR/password"
    printf 'postgres\n' > "$STATE_DIR/superpass"
    if [[ "$(id -u)" == 0 ]]; then chown -R postgres: "$STATE_DIR"; fi
    as_owner "$bindir/initdb" -D "$DATA_DIR" -U postgres --auth=scram-sha-256 \
        --pwfile="$STATE_DIR/superpass" -E UTF8 --locale=C.UTF-8 >&2
}

start_server() {
    local bindir="$1" port
    port="$(free_port)"
    printf '%s\n' "$port" > "$STATE_DIR/port"
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_owner "$bindir/pg_ctl" -D "$DATA_DIR" -l "$STATE_DIR/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$STATE_DIR'" \
        start >&2
}

create_database() {
    local bindir="$1" port password
    port="$(cat "$STATE_DIR/port")"
    password="$(cat "$STATE_DIR/password")"
    export PGPASSWORD=postgres
    local exists
    exists="$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")"
    if [[ "$exists" == 1 ]]; then return; fi
    log "creating role $DB_USER and database $DB_NAME"
    "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$password'" \
        -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
}

start() {
    ensure_installed
    local bindir
    bindir="$(find_bindir)"
    if is_running "$bindir"; then
        log "reusing running server in $DATA_DIR"
    else
        if [[ ! -f "$DATA_DIR/PG_VERSION" ]]; then init_cluster "$bindir"; fi
        start_server "$bindir"
    fi
    create_database "$bindir"
    print_url
}

stop() {
    local bindir
    bindir="$(find_bindir)"
    if [[ -n "$bindir" ]] && is_running "$bindir"; then
        log "stopping PostgreSQL in $DATA_DIR"
        as_owner "$bindir/pg_ctl" -D "$DATA_DIR" -m fast -w stop >&2
    fi
    rm -rf "$STATE_DIR"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    url) print_url ;;
    *) log "usage: $0 [start|stop|url]"; exit 2 ;;
esac
