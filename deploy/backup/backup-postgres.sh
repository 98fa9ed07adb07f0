#!/usr/bin/env bash
# Backs up Sapa IKM's PostgreSQL database with pg_dump's custom format (-Fc: compressed, restored
# with pg_restore, table by table if need be) into BACKUP_DIR as sapa-ikm-<UTC time>.dump, checks
# that pg_restore can read it, and keeps the newest BACKUP_KEEP dumps.
#
#   deploy/backup/backup-postgres.sh                 # DATABASE_URL from the environment or ENV_FILE
#   BACKUP_DIR=/srv/backup/sapa BACKUP_KEEP=30 deploy/backup/backup-postgres.sh
#
# Settings (environment):
#   DATABASE_URL  postgresql://user:password@host:5432/sapa; if unset, the DATABASE_URL line of
#                 ENV_FILE (default: .env in the current directory). A password is better kept in
#                 ~/.pgpass than in the URL.
#   BACKUP_DIR    where the dumps go (default /var/backups/sapa-ikm), created with mode 700.
#   BACKUP_KEEP   how many dumps to keep (default 14).
#   PG_DUMP, PG_RESTORE  the commands (default pg_dump, pg_restore). pg_dump must be at least
#                 the server's major version: with Docker Compose, run them in the container:
#                 PG_DUMP="docker compose -f deploy/docker-compose.yml exec -T postgres pg_dump"
#                 PG_RESTORE="docker compose -f deploy/docker-compose.yml exec -T postgres pg_restore"
#                 DATABASE_URL=postgresql://sapa@/sapa   (the container's own socket)
# Exits non-zero, keeping the older dumps, when anything fails. See docs/operations.md, Backups.
set -euo pipefail

env_value() { # the value of NAME in an env file, quotes removed (the file is not run as a script)
  [ -f "$2" ] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$2" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

url="${DATABASE_URL:-$(env_value DATABASE_URL "${ENV_FILE:-.env}")}"
case "$url" in
  postgres://* | postgresql://*) ;;
  "") echo "backup-postgres: DATABASE_URL is not set (nor in ${ENV_FILE:-.env})" >&2; exit 2 ;;
  *) echo "backup-postgres: DATABASE_URL is not a PostgreSQL URL (for SQLite use backup-sqlite.sh)" >&2; exit 2 ;;
esac
dir="${BACKUP_DIR:-/var/backups/sapa-ikm}"
keep="${BACKUP_KEEP:-14}"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "backup-postgres: BACKUP_KEEP must be a positive number" >&2; exit 2; }
read -r -a pg_dump <<<"${PG_DUMP:-pg_dump}"
read -r -a pg_restore <<<"${PG_RESTORE:-pg_restore}"

umask 077
mkdir -p "$dir"
name="sapa-ikm-$(date -u +%Y%m%dT%H%M%SZ).dump"
tmp="$dir/.$name.partial"
trap 'rm -f "$tmp"' EXIT

# To stdout, so that the same line works with a pg_dump in a container.
"${pg_dump[@]}" --format=custom --compress=6 --dbname="$url" >"$tmp"
# A dump pg_restore cannot list is no backup.
tables=$("${pg_restore[@]}" --list <"$tmp" | awk '$4 == "TABLE" && $5 != "DATA"' | wc -l)
[ "$tables" -gt 0 ] || { echo "backup-postgres: the dump lists no tables" >&2; exit 1; }
mv "$tmp" "$dir/$name"
trap - EXIT
echo "backup-postgres: $dir/$name ($(du -h "$dir/$name" | cut -f1), $tables tables)"

# Keep the newest $keep (the names sort by time).
find "$dir" -maxdepth 1 -type f -printf '%f\n' | grep -E '^sapa-ikm-[0-9]{8}T[0-9]{6}Z\.dump$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f "$dir/$old"
  echo "backup-postgres: removed $old"
done
