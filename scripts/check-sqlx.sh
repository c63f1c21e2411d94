#!/usr/bin/env bash
# Checks that .sqlx/ — the offline query data every build uses (SQLX_OFFLINE) — matches the code's
# query!/query_as!/query_scalar! macros and the schema the migrations build. A throwaway
# PostgreSQL is started in a temp dir (as the unprivileged `precog-pg` user when run as root, as
# the test harness does), migrated, and `cargo sqlx prepare --workspace --check` compares.
# Needs PostgreSQL's server binaries; installs sqlx-cli 0.8.6 into /var/cache/precog-tools when
# missing. After changing a query or a migration, regenerate with `cargo sqlx prepare --workspace`
# against a migrated database (README: "Checked SQL"); `scripts/check-sqlx.sh --write` does that
# on the same throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/var/cache/precog-tools/bin:$PATH"
if ! sqlx --version 2>/dev/null | grep -q ' 0\.8\.6$'; then
  cargo install sqlx-cli --version 0.8.6 --no-default-features --features postgres,rustls \
    --root /var/cache/precog-tools --locked
fi

if [ -n "${PG_BIN:-}" ]; then
  bin="$PG_BIN"
elif command -v initdb >/dev/null; then
  bin="$(dirname "$(readlink -f "$(command -v initdb)")")"
else
  bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
fi

dir="$(mktemp -d)"
as_server=()
if [ "$(id -u)" = 0 ]; then
  id -u precog-pg >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin precog-pg
  chown precog-pg: "$dir"
  as_server=(runuser -u precog-pg --)
fi
stop() {
  "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_server[@]}" "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres \
  --encoding=UTF8 --locale=C >/dev/null
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/precog"
cargo sqlx database create
cargo sqlx migrate run --source migrations >/dev/null
if [ "${1:-}" = --write ]; then
  env -u SQLX_OFFLINE cargo sqlx prepare --workspace
else
  env -u SQLX_OFFLINE cargo sqlx prepare --workspace --check
fi
