#!/usr/bin/env bash
# Restores a dump made by backup-postgres.sh into an EMPTY PostgreSQL database, then checks it
# against the code: Prisma's `migrate status` must find every migration applied (a dump from an
# older version gets the newer migrations from `npm run db:migrate`; on a dump of this version
# that is a no-op). Last, `npm run db:reapply-erasures` erases again everyone erased after the
# dump was taken (the list in ERASURE_LIST_FILE outlives the database), so a restore never brings
# an erased participant back.
#
#   createdb -h db.example -U postgres -O sapa sapa_restore      # an empty database first
#   deploy/backup/restore-postgres.sh /var/backups/sapa-ikm/sapa-ikm-20261201T020000Z.dump \
#     postgresql://sapa:secret@db.example:5432/sapa_restore
#
# It refuses a database that has tables: restore into a new database, check it, then point
# DATABASE_URL at it (or rename the databases) while the bot is stopped. Run it from the app's
# directory (or set APP_DIR), where `npm ci` was run, for the migration check; SKIP_MIGRATE_CHECK=1
# leaves that out (e.g. with Docker Compose: then run
#   docker compose -f deploy/docker-compose.yml run --rm -e DATABASE_URL=<url> migrate
# and `... run --rm -e DATABASE_URL=<url> migrate npm run db:status` yourself).
#
# Settings (environment): PSQL, PG_RESTORE (default psql, pg_restore; with Compose e.g.
# PG_RESTORE="docker compose -f deploy/docker-compose.yml exec -T postgres pg_restore"), APP_DIR
# (default: the repository this script is in), SKIP_MIGRATE_CHECK (it skips the erasures too: then
# run `docker compose -f deploy/docker-compose.yml run --rm -e DATABASE_URL=<url> app npm run
# db:reapply-erasures`; the app also re-applies them when it starts), ERASURE_LIST_FILE (default:
# the line in ENV_FILE, then the app's own default, data/erasures.jsonl). See docs/operations.md.
set -euo pipefail

env_value() { # the value of NAME in an env file, quotes removed (the file is not run as a script)
  [ -f "$2" ] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$2" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

if [ $# -ne 2 ]; then
  echo "usage: $0 DUMP_FILE postgresql://user:password@host:5432/EMPTY_DATABASE" >&2
  exit 2
fi
dump="$1"
url="$2"
[ -r "$dump" ] || { echo "restore-postgres: cannot read $dump" >&2; exit 2; }
case "$url" in
  postgres://* | postgresql://*) ;;
  *) echo "restore-postgres: the target must be a postgresql:// URL" >&2; exit 2 ;;
esac
read -r -a psql <<<"${PSQL:-psql}"
read -r -a pg_restore <<<"${PG_RESTORE:-pg_restore}"
app_dir="${APP_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"

# Empty means: no tables, views or sequences outside PostgreSQL's own schemas.
objects=$("${psql[@]}" --no-psqlrc --tuples-only --no-align --set=ON_ERROR_STOP=1 --dbname="$url" --command="
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')")
if [ "$objects" != "0" ]; then
  echo "restore-postgres: the target database is not empty ($objects tables, views or sequences); restore into a new one" >&2
  exit 1
fi

# One transaction: all or nothing. Owners and grants of the source are left out: the target's
# user owns everything it restores.
"${pg_restore[@]}" --no-owner --no-acl --exit-on-error --single-transaction --dbname="$url" <"$dump"
echo "restore-postgres: restored $(basename "$dump")"

if [ "${SKIP_MIGRATE_CHECK:-}" = "1" ]; then
  echo "restore-postgres: migration check skipped (SKIP_MIGRATE_CHECK=1)"
  exit 0
fi
cd "$app_dir"
[ -d node_modules ] || { echo "restore-postgres: no node_modules in $app_dir for the migration check (npm ci, or SKIP_MIGRATE_CHECK=1)" >&2; exit 1; }
if DATABASE_URL="$url" npm run --silent db:status >/dev/null 2>&1; then
  echo "restore-postgres: the dump has every migration of this code; db:migrate has nothing to do"
else
  echo "restore-postgres: the dump lacks migrations of this code (an older version?); db:migrate applies them"
fi
DATABASE_URL="$url" npm run --silent db:migrate
DATABASE_URL="$url" npm run --silent db:status | grep -vE '^$|WARNING|- url|NOT be used|recommend you to remove'
echo "restore-postgres: the database is at this code's migrations"

# Erasures made after the dump: the list outside the database knows them.
list="${ERASURE_LIST_FILE:-$(env_value ERASURE_LIST_FILE "${ENV_FILE:-.env}")}"
list="${list:-data/erasures.jsonl}"
[ -f "$list" ] || echo "restore-postgres: WARNING: no list of erased participants at $list; if the bot keeps it elsewhere, set ERASURE_LIST_FILE and run npm run db:reapply-erasures" >&2
if ! DATABASE_URL="$url" ERASURE_LIST_FILE="$list" npm run --silent db:reapply-erasures; then
  echo "restore-postgres: re-applying the erasures did not finish cleanly (see above and docs/operations.md, Restore); do not start the bot on this database yet" >&2
  exit 1
fi
echo "restore-postgres: done"
