#!/usr/bin/env bash
# Starts a local PostgreSQL for the store's PostgreSQL test and prints the URL to use.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq postgresql >/dev/null
fi
$SUDO service postgresql start >/dev/null
for _ in $(seq 1 30); do
  as_postgres psql -qtAc "select 1" >/dev/null 2>&1 && break
  sleep 1
done
as_postgres psql -qtAc "select 1 from pg_roles where rolname='kamplan_ci'" | grep -q 1 ||
  as_postgres psql -qc "create role kamplan_ci login createdb password 'kamplan_ci'" >/dev/null
# The store tests create throw-away login roles (a password that must never be printed, a team's roles).
as_postgres psql -qc "alter role kamplan_ci createrole" >/dev/null
# ... and drop their databases at the end even while another role's session is still in one.
as_postgres psql -qc "grant pg_signal_backend to kamplan_ci" >/dev/null
echo "postgresql+psycopg2://kamplan_ci:kamplan_ci@localhost/postgres"
