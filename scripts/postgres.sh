# Sourced by scripts/test: makes sure a PostgreSQL server is reachable and exports
# DAICHO_TEST_DATABASE_URL. Uses the machine's server on 127.0.0.1:5432 when it
# answers; otherwise starts a throwaway cluster from the local PostgreSQL binaries
# (as a non-root user: PostgreSQL refuses to run as root).
set -euo pipefail

pg_answers() {
  "$root/.venv/bin/python" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
}

if [ -z "${DAICHO_TEST_DATABASE_URL:-}" ]; then
  if pg_answers "postgresql://postgres@127.0.0.1:5432/postgres"; then
    export DAICHO_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/daicho_test"
  else
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bindir" ]; then
      echo "PostgreSQL is not reachable on 127.0.0.1:5432 and no PostgreSQL binaries were found" >&2
      echo "(install them with: apt-get install postgresql)" >&2
      exit 2
    fi
    port=55432
    data="${TMPDIR:-/tmp}/daicho-pg-$port"
    run_as=()
    if [ "$(id -u)" = 0 ]; then
      id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      run_as=(runuser -u postgres --)
    fi
    if ! pg_answers "postgresql://postgres@127.0.0.1:$port/postgres"; then
      rm -rf "$data"; mkdir -p "$data"
      [ "$(id -u)" = 0 ] && chown postgres "$data"
      "${run_as[@]}" "$bindir/initdb" -D "$data/db" -U postgres -A trust >/dev/null
      "${run_as[@]}" "$bindir/pg_ctl" -D "$data/db" -l "$data/log" -w \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    export DAICHO_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/daicho_test"
  fi
fi
echo "PostgreSQL for tests: ${DAICHO_TEST_DATABASE_URL}"
