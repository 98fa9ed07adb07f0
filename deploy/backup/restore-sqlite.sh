#!/usr/bin/env bash
# Restores a SQLite backup made by backup-sqlite.sh over the bot's database, with every Sapa IKM
# process STOPPED. The backup is checked first (integrity_check); the database it replaces, with
# its -wal and -shm files, is kept beside it as <db>.before-restore-<UTC time> until you delete
# it. Then, in the app's directory: `npm run db:migrate` (a backup of an older version gets the
# newer migrations), `npm run db:status`, and `npm run db:reapply-erasures`, which erases again
# everyone erased after the backup was taken: the list of erased participants (ERASURE_LIST_FILE,
# by default erasures.jsonl beside the database) is not part of the database and is not replaced.
#
#   sudo systemctl stop sapa-ikm.target
#   deploy/backup/restore-sqlite.sh /var/backups/sapa-ikm/sapa-20261201T020000Z.db
#   sudo systemctl start sapa-ikm.target
#
# The database: --db FILE, else DATABASE_URL (file:...), else the DATABASE_URL line of ENV_FILE
# (default ./.env), else data/sapa.db, relative to the app's directory like the bot's own. Run it
# as the bot's user (the restored file must be theirs). APP_DIR: the app's directory (default:
# the repository this script is in). See docs/operations.md, Restore.
set -euo pipefail

env_value() { # the value of NAME in an env file, quotes removed (the file is not run as a script)
  [ -f "$2" ] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$2" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

backup="" db=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    -*) echo "restore-sqlite: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$backup" ] || { echo "usage: $0 BACKUP_FILE [--db FILE]" >&2; exit 2; }; backup="$1"; shift ;;
  esac
done
[ -n "$backup" ] || { echo "usage: $0 BACKUP_FILE [--db FILE]" >&2; exit 2; }
[ -r "$backup" ] || { echo "restore-sqlite: cannot read $backup" >&2; exit 2; }
backup="$(cd "$(dirname "$backup")" && pwd)/$(basename "$backup")"
app_dir="${APP_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$app_dir"
[ -d node_modules ] || { echo "restore-sqlite: no node_modules in $app_dir (run npm ci there first)" >&2; exit 1; }

env_file="${ENV_FILE:-.env}"
if [ -z "$db" ]; then
  url="${DATABASE_URL:-$(env_value DATABASE_URL "$env_file")}"
  url="${url:-file:data/sapa.db}"
  case "$url" in file:*) ;; *) echo "restore-sqlite: DATABASE_URL is not a SQLite file: URL (for PostgreSQL use restore-postgres.sh)" >&2; exit 2 ;; esac
  db="${url#file:}"
  db="${db%%\?*}"
fi
db="$(mkdir -p "$(dirname "$db")" && cd "$(dirname "$db")" && pwd)/$(basename "$db")"
[ "$backup" != "$db" ] || { echo "restore-sqlite: the backup is the database itself" >&2; exit 2; }

# A running bot would keep writing to the file it has open, not to the restored one.
if command -v fuser >/dev/null 2>&1 && fuser "$db" >/dev/null 2>&1; then
  echo "restore-sqlite: $db is open in a running process: stop every Sapa IKM process first" >&2
  exit 1
fi

check=$(node -e '
  const Database = require("better-sqlite3");
  const db = new Database(process.argv[1], { readonly: true, fileMustExist: true });
  console.log(db.pragma("integrity_check", { simple: true }));
' "$backup")
[ "$check" = "ok" ] || { echo "restore-sqlite: the backup fails integrity_check: $check" >&2; exit 1; }

umask 077
if [ -e "$db" ]; then
  aside="$db.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir "$aside"
  for suffix in "" -wal -shm; do
    [ ! -e "$db$suffix" ] || mv "$db$suffix" "$aside/"
  done
  echo "restore-sqlite: the database it replaces is in $aside (delete it once the restore is checked)"
fi
cp "$backup" "$db.partial"
mv "$db.partial" "$db"
echo "restore-sqlite: restored $(basename "$backup") to $db"

export DATABASE_URL="file:$db"
list="${ERASURE_LIST_FILE:-$(env_value ERASURE_LIST_FILE "$env_file")}"
list="${list:-$(dirname "$db")/erasures.jsonl}"
export ERASURE_LIST_FILE="$list"
npm run --silent db:migrate
npm run --silent db:status | grep -vE '^$|WARNING|- url|NOT be used|recommend you to remove'
# A backup from before the Installation row existed (an older version) gets the row of the
# database it replaces: its secret is the one the erasure list was hashed with.
if [ -n "${aside:-}" ] && [ -e "$aside/$(basename "$db")" ]; then
  node -e '
    const Database = require("better-sqlite3");
    const [restoredPath, replacedPath] = process.argv.slice(1);
    const replaced = new Database(replacedPath, { readonly: true });
    let row;
    try { row = replaced.prepare("SELECT id, installationId, secret FROM Installation WHERE id = 1").get(); } catch {}
    replaced.close();
    const restored = new Database(restoredPath);
    if (row && !restored.prepare("SELECT 1 FROM Installation WHERE id = 1").get()) {
      restored.prepare("INSERT INTO Installation (id, installationId, secret) VALUES (?, ?, ?)").run(row.id, row.installationId, row.secret);
      console.log("restore-sqlite: the backup had no Installation row: the replaced database'"'"'s is kept");
    }
    restored.close();
  ' "$db" "$aside/$(basename "$db")"
fi
[ -f "$list" ] || echo "restore-sqlite: WARNING: no list of erased participants at $list; if the bot keeps it elsewhere, set ERASURE_LIST_FILE and run npm run db:reapply-erasures" >&2
if ! npm run --silent db:reapply-erasures; then
  echo "restore-sqlite: re-applying the erasures did not finish cleanly (see above and docs/operations.md, Restore); do not start the bot yet" >&2
  exit 1
fi
echo "restore-sqlite: done; start the bot"
