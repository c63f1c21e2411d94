#!/usr/bin/env bash
# Installs TimescaleDB into the PostgreSQL the test harness runs (precog::pgcluster: PG_BIN, else
# the first `initdb` on PATH, else /usr/lib/postgresql/*/bin), so scripts/test.sh can run its
# TimescaleDB variant. TimescaleDB is not packaged for Debian bookworm: the first run builds the
# vendored source (about 3-5 minutes on 2 cores) and keeps the installed files in a cache outside
# the clone; later runs copy them from there in a second.
#
#   scripts/install-timescaledb.sh            # install (build once if needed)
#   scripts/install-timescaledb.sh --check    # exit 0 when installed, 1 when not
#   TIMESCALEDB_CACHE=/some/dir scripts/...   # cache location (default /var/cache/precog-timescale)
#
# Needs root to write into PostgreSQL's lib and extension folders (as CI and these machines run).
set -euo pipefail
cd "$(dirname "$0")/.."

version=2.28.3
source_tar="${TIMESCALEDB_SOURCE:-$PWD/../shared/vendor/timescaledb-$version.tar.gz}"
[ -f "$source_tar" ] || source_tar=/work/shared/vendor/timescaledb-$version.tar.gz
cache="${TIMESCALEDB_CACHE:-/var/cache/precog-timescale}"

# The server the harness starts: resolve symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin).
if [ -n "${PG_BIN:-}" ]; then
  initdb="$PG_BIN/initdb"
elif command -v initdb >/dev/null; then
  initdb="$(command -v initdb)"
else
  initdb="$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)"
fi
bindir="$(dirname "$(readlink -f "$initdb")")"
major="$("$bindir/postgres" -V | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')"
if [ "$major" != 15 ]; then
  echo "TimescaleDB $version supports PostgreSQL 15 here; the harness uses $major ($bindir)" >&2
  exit 1
fi

# pg_config of THAT installation (Debian's /usr/bin/pg_config may describe another major version).
pg_config="$bindir/pg_config"
if [ ! -x "$pg_config" ]; then
  echo "no pg_config for PostgreSQL $major in $bindir: TimescaleDB cannot be installed there" >&2
  exit 1
fi
libdir="$("$pg_config" --pkglibdir)"
extdir="$("$pg_config" --sharedir)/extension"

if [ -f "$libdir/timescaledb-$version.so" ] && [ -f "$extdir/timescaledb--$version.sql" ]; then
  echo "TimescaleDB $version already installed in $libdir"
  exit 0
fi
[ "${1:-}" = --check ] && { echo "TimescaleDB $version is not installed in $libdir" >&2; exit 1; }

files="$cache/pg$major-$version"
if [ ! -f "$files/.complete" ]; then
  exec 9>"$cache.lock" 2>/dev/null || { mkdir -p "$(dirname "$cache")"; exec 9>"$cache.lock"; }
  flock 9   # one build at a time on a shared machine
  if [ ! -f "$files/.complete" ]; then
    echo "building TimescaleDB $version for PostgreSQL $major (once; cached in $files)"
    # The build needs cmake and PostgreSQL's server headers (pg_config alone is in libpq-dev).
    if ! command -v cmake >/dev/null || [ ! -f "$("$pg_config" --includedir-server)/postgres.h" ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake "postgresql-server-dev-$major" >/dev/null
    fi
    # Unpacked and configured afresh each time a build is needed: a half-configured folder from
    # an interrupted run would otherwise stick.
    mkdir -p "$cache/src"
    src="$cache/src/timescaledb-$version"
    rm -rf "$src"
    tar -xzf "$source_tar" -C "$cache/src"
    (cd "$src" && BUILD_FORCE_REMOVE=true ./bootstrap -DPG_CONFIG="$pg_config" -DREGRESS_CHECKS=OFF \
      -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DLINTER=OFF >/dev/null)
    make -C "$src/build" -j"$(nproc)" >/dev/null
    rm -rf "$files.tmp" && mkdir -p "$files.tmp/lib" "$files.tmp/extension"
    make -C "$src/build" install DESTDIR="$files.tmp/root" >/dev/null
    cp "$files.tmp/root$libdir"/timescaledb*.so "$files.tmp/lib/"
    cp "$files.tmp/root$extdir"/timescaledb* "$files.tmp/extension/"
    rm -rf "$files.tmp/root" "$files"
    touch "$files.tmp/.complete"
    mv "$files.tmp" "$files"
  fi
fi

install -m 0755 "$files"/lib/*.so "$libdir/"
install -m 0644 "$files"/extension/* "$extdir/"
echo "TimescaleDB $version installed into $libdir and $extdir"
