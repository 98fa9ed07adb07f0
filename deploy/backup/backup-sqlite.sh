#!/usr/bin/env bash
# Backs up Sapa IKM's SQLite database while the bot runs. Three ways, best first:
#
# 1. backup-sqlite.mjs next to this script: SQLite's online backup API through better-sqlite3,
#    which the app's node_modules already has. A consistent snapshot, checked, one file.
# 2. Without the app's node_modules but with the sqlite3 command-line tool (apt install sqlite3):
#    its `.backup`, the same online backup API, then `PRAGMA integrity_check`.
# 3. Neither: stop the bot first, then copy the database file AND its -wal file (in WAL mode,
#    the bot's mode, recent changes live in the -wal file until a checkpoint; a copy of the
#    .db file alone, or of a running database, can be missing them or torn). This script does
#    not do that for you: it stops with this explanation.
#
#   deploy/backup/backup-sqlite.sh [--dir DIR] [--keep N] [--db FILE]
#
# Same options and settings (DATABASE_URL, BACKUP_DIR, BACKUP_KEEP) as backup-sqlite.mjs; run it
# from the app's directory. SQLITE_BACKUP_WITH=sqlite3 forces way 2. See docs/operations.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ "${SQLITE_BACKUP_WITH:-}" != "sqlite3" ] && command -v node >/dev/null 2>&1 \
  && node -e 'require.resolve("better-sqlite3", { paths: [process.argv[1]] })' "$here" 2>/dev/null; then
  exec node "$here/backup-sqlite.mjs" "$@"
fi

if ! command -v sqlite3 >/dev/null 2>&1; then
  cat >&2 <<'MSG'
backup-sqlite: neither the app's node_modules (better-sqlite3) nor the sqlite3 tool is here.
Install sqlite3 (apt install sqlite3), or run this from the app's directory after `npm ci`.
Otherwise stop every Sapa IKM process, then copy data/sapa.db and data/sapa.db-wal (if present)
together; never copy the files of a running database.
MSG
  exit 1
fi

env_value() {
  [ -f "$2" ] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$2" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}
db="" dir="${BACKUP_DIR:-/var/backups/sapa-ikm}" keep="${BACKUP_KEEP:-14}"
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "backup-sqlite: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$db" ]; then
  url="${DATABASE_URL:-$(env_value DATABASE_URL .env)}"
  url="${url:-file:data/sapa.db}"
  case "$url" in file:*) ;; *) echo "backup-sqlite: DATABASE_URL is not a SQLite file: URL" >&2; exit 2 ;; esac
  db="${url#file:}"
  db="${db%%\?*}"
fi
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "backup-sqlite: --keep must be a positive number" >&2; exit 2; }
[ -f "$db" ] || { echo "backup-sqlite: no database at $db" >&2; exit 1; }

umask 077
mkdir -p "$dir"
name="sapa-$(date -u +%Y%m%dT%H%M%SZ).db"
tmp="$dir/.$name.partial"
trap 'rm -f "$tmp" "$tmp-wal" "$tmp-shm"' EXIT
sqlite3 -bail "$db" ".timeout 10000" ".backup '$tmp'"
check=$(sqlite3 -bail "$tmp" "PRAGMA integrity_check;" "PRAGMA journal_mode = DELETE;" | head -n 1)
[ "$check" = "ok" ] || { echo "backup-sqlite: integrity_check says: $check" >&2; exit 1; }
mv "$tmp" "$dir/$name"
trap - EXIT
echo "backup-sqlite: $dir/$name ($(du -h "$dir/$name" | cut -f1), with the sqlite3 tool)"
find "$dir" -maxdepth 1 -type f -printf '%f\n' | grep -E '^sapa-[0-9]{8}T[0-9]{6}Z\.db$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f "$dir/$old"
  echo "backup-sqlite: removed $old"
done
