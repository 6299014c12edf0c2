#!/usr/bin/env bash
# Runs .sql files in Flink's local mode: examples/flink-sql/run.sh [--streaming] tables.sql queries.sql
# (paths relative to the current directory). Builds first when the sources changed; Maven's downloads are cached
# where the repo's test stack keeps them (~/.cache/thingspace-bridge/m2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
m2="${THINGSPACE_BRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thingspace-bridge}/m2"
cp_file="$here/target/classpath.txt"
if [[ ! -f "$cp_file" || "$here/pom.xml" -nt "$cp_file" || -n "$(find "$here/src" -newer "$cp_file" -print -quit)" ]]; then
  mvn -B -q -f "$here/pom.xml" "-Dmaven.repo.local=$m2" compile dependency:build-classpath "-Dmdep.outputFile=$cp_file" >&2
fi
exec java -Xmx1g -cp "$here/target/classes:$(cat "$cp_file")" thingspace.examples.flink.RunSql "$@"
