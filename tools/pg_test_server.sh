# Sourced by `make test`: starts a throw-away PostgreSQL server on loopback and exports
# HESHI_TEST_PG_URL. Installs Debian's postgresql package first when the server is missing.
# Tests marked `postgres` are skipped (with a reason) only when no server can be had.
_heshi_pg_port=${HESHI_TEST_PG_PORT:-55432}
_heshi_pg_dir=${TMPDIR:-/tmp}/heshi-test-pg-$_heshi_pg_port
_heshi_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$_heshi_pg_bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "pg_test_server: installing postgresql from Debian packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 || true
    _heshi_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -n "$_heshi_pg_bin" ]; then
    _heshi_pg_run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
    if ! "$_heshi_pg_bin/pg_isready" -q -h 127.0.0.1 -p "$_heshi_pg_port"; then
        rm -rf "$_heshi_pg_dir"; mkdir -p "$_heshi_pg_dir"
        [ "$(id -u)" = 0 ] && chown postgres "$_heshi_pg_dir"
        _heshi_pg_run "$_heshi_pg_bin/initdb -A trust -U heshi -D $_heshi_pg_dir/data" >/dev/null || echo "pg_test_server: initdb failed" >&2
        _heshi_pg_run "$_heshi_pg_bin/pg_ctl -s -w -D $_heshi_pg_dir/data -l $_heshi_pg_dir/log \
            -o '-h 127.0.0.1 -p $_heshi_pg_port -k $_heshi_pg_dir -c fsync=off -c max_connections=200' start"
    fi
    export HESHI_TEST_PG_URL="postgresql+asyncpg://heshi@127.0.0.1:$_heshi_pg_port/postgres"
    echo "pg_test_server: $HESHI_TEST_PG_URL" >&2
else
    echo "pg_test_server: no PostgreSQL server available; postgres tests will be skipped" >&2
fi
