#!/usr/bin/env bash
# Backs up what the database does not hold: the WhatsApp session folder (WHATSAPP_SESSION_DIR, the
# number's login: whoever has a copy can read and send as the number) and the settings file (the
# Telegram token, DASHBOARD_SESSION_SECRET, database passwords). Into BACKUP_DIR as
# sapa-files-<UTC time>.tar.gz, mode 600, keeping the newest BACKUP_KEEP.
#
#   deploy/backup/backup-files.sh data/whatsapp .env                     # from the app's directory
#   deploy/backup/backup-files.sh /opt/sapa-ikm/data/whatsapp /etc/sapa-ikm/sapa-ikm.env
#
# The session is a Chromium profile that the worker holding WhatsApp writes to: a copy taken while
# it runs is usually fine, but for a copy you can count on, stop that worker (or all workers)
# first. Missing paths are skipped with a warning. Keep these archives as secret as the .env:
# encrypt them before they leave the machine (e.g. gpg --symmetric). See docs/operations.md.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 PATH... (e.g. data/whatsapp .env)" >&2; exit 2; }
dir="${BACKUP_DIR:-/var/backups/sapa-ikm}"
keep="${BACKUP_KEEP:-14}"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "backup-files: BACKUP_KEEP must be a positive number" >&2; exit 2; }
paths=()
for p in "$@"; do
  if [ -e "$p" ]; then paths+=("$p"); else echo "backup-files: $p does not exist, skipped" >&2; fi
done
[ ${#paths[@]} -gt 0 ] || { echo "backup-files: nothing to back up" >&2; exit 1; }

umask 077
mkdir -p "$dir"
name="sapa-files-$(date -u +%Y%m%dT%H%M%SZ).tar.gz"
tmp="$dir/.$name.partial"
trap 'rm -f "$tmp"' EXIT
# Chromium's caches are large and rebuilt by themselves; its lock files belong to a live process.
tar --create --gzip --file="$tmp" \
  --exclude='*/Cache' --exclude='*/Code Cache' --exclude='*/GPUCache' --exclude='*/Service Worker/CacheStorage' \
  --exclude='*/Singleton*' \
  "${paths[@]}"
tar --list --gzip --file="$tmp" >/dev/null
mv "$tmp" "$dir/$name"
trap - EXIT
echo "backup-files: $dir/$name ($(du -h "$dir/$name" | cut -f1))"
find "$dir" -maxdepth 1 -type f -printf '%f\n' | grep -E '^sapa-files-[0-9]{8}T[0-9]{6}Z\.tar\.gz$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f "$dir/$old"
  echo "backup-files: removed $old"
done
