#!/usr/bin/env bash
# Runs the Java consumer example (README.md beside this file), building it first when the build is missing or
# older than its sources or the schemas. Configuration from the environment: KAFKA_BOOTSTRAP,
# SCHEMA_REGISTRY_URL, TOPICS, GROUP_ID, STOP_AT_END. Only the example writes to stdout; Maven and logs go to
# stderr. Maven's downloads are cached where the test stack keeps its own (test/infra/stack/stack.ts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${THINGSPACE_BRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thingspace-bridge}"
classpath="$here/target/classpath.txt"

if [[ ! -f "$classpath" ]] ||
  [[ -n "$(find "$here/pom.xml" "$here/src" "$here/../../schemas" -newer "$classpath" -print -quit)" ]]; then
  mvn=(mvn -B -q -f "$here/pom.xml" "-Dmaven.repo.local=$cache/m2" package)
  # Offline when the cache already has everything; online (Maven Central) the first time.
  "${mvn[@]}" -o >/dev/null 2>&1 || "${mvn[@]}" >&2
  touch "$classpath" # Maven leaves it as it was when the classpath did not change: it marks this build
fi

exec java -cp "$here/target/classes:$(cat "$classpath")" thingspace.examples.Consumer
