#!/usr/bin/env bash
# Runs consumer.py in a venv under ~/.cache/thingspace-bridge/venv-examples, made and filled from
# requirements.txt the first time (and again when requirements.txt changes); pip's downloads cached in ~/.cache/pip.
# The environment (KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL, TOPICS, GROUP_ID, STOP_AT_END) passes through.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${HOME}/.cache/thingspace-bridge/venv-examples"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-${HOME}/.cache/pip}"

stamp="${venv}/.requirements"
if ! cmp -s "${here}/requirements.txt" "${stamp}" 2>/dev/null; then
  echo "run.sh: installing requirements.txt into ${venv}" >&2
  python3 -m venv "${venv}"
  "${venv}/bin/pip" install --quiet --disable-pip-version-check -r "${here}/requirements.txt" >&2
  cp "${here}/requirements.txt" "${stamp}"
fi
exec "${venv}/bin/python" "${here}/consumer.py" "$@"
