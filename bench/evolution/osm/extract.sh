#!/bin/sh
# Rebuild structure.tar.xz and versions.txt from a clone of openstreetmap-website.
#   sh bench/evolution/osm/extract.sh /path/to/openstreetmap-website [SKIP] [COUNT]
# The versions are the states master had (first-parent history of db/structure.sql),
# newest SKIP left out (3: they need PostGIS), then COUNT consecutive ones, oldest first.
set -eu
repo=$1; skip=${2:-3}; count=${3:-50}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
git -C "$repo" log --first-parent --format=%H -- db/structure.sql \
    | tail -n +$((skip + 1)) | head -n "$count" | tac > "$work/revs"
: > "$here/versions.txt"
n=0
while read -r rev; do
    n=$((n + 1)); name=$(printf '%03d' "$n")
    git -C "$repo" show "$rev:db/structure.sql" > "$work/$name.sql"
    git -C "$repo" log -1 --format="$name %H %cs %s" "$rev" >> "$here/versions.txt"
done < "$work/revs"
(cd "$work" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -cf - ./*.sql) | xz -9e > "$here/structure.tar.xz"
