#!/usr/bin/env bash
# Makes a PostgreSQL server reachable for the tests and prints its admin URL on stdout.
# Uses $ARBOR_TEST_POSTGRES_URL when it answers; otherwise installs Debian's postgresql if missing,
# starts a local cluster, and creates a role `arbor` that may create databases. Each test then
# creates (and drops) a fresh database of its own.
set -euo pipefail

log() { echo "[postgres] $*" >&2; }

if [[ -n "${ARBOR_TEST_POSTGRES_URL:-}" ]] && psql "$ARBOR_TEST_POSTGRES_URL" -Atqc 'select 1' >/dev/null 2>&1; then
  echo "$ARBOR_TEST_POSTGRES_URL"
  exit 0
fi

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing Debian's postgresql"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  log "creating cluster $version/main"
  as_root pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $version/main"
  as_root pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')

for _ in $(seq 1 30); do
  if as_root su postgres -c "psql -p $port -Atqc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
as_root su postgres -c "psql -p $port -Atqc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'arbor') THEN CREATE ROLE arbor LOGIN CREATEDB PASSWORD 'arbor'; END IF; END \\\$\\\$;\"" >&2
echo "postgres://arbor:arbor@127.0.0.1:$port/postgres"
