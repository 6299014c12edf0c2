#!/usr/bin/env bash
# Runs .sql files in Flink's local mode: ./run.sh [--streaming] tables.sql queries.sql
# Maven's downloads are cached where the repo's test stack keeps them (~/.cache/thingspace-bridge/m2).
set -euo pipefail
cd "$(dirname "$0")"
m2="${THINGSPACE_BRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thingspace-bridge}/m2"
if [[ ! -f target/classpath.txt || pom.xml -nt target/classpath.txt || -n "$(find src -newer target/classpath.txt -print -quit)" ]]; then
  mvn -B -q "-Dmaven.repo.local=$m2" compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
fi
exec java -Xmx1g -cp "target/classes:$(cat target/classpath.txt)" thingspace.examples.flink.RunSql "$@"
