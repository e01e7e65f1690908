#!/usr/bin/env bash
# verify-gofmt.sh fails when a Go file of the project is not gofmt-formatted.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${ROOT}"
bad=$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './_output/*'))
if [ -n "${bad}" ]; then
  echo "These files are not gofmt-formatted (run gofmt -w on them):" >&2
  echo "${bad}" >&2
  exit 1
fi
