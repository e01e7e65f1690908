#!/usr/bin/env bash
# verify-codegen.sh fails when the generated code is not what hack/update-codegen.sh makes
# from the API types: it regenerates into a temporary copy of the repository and diffs.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TMP=$(mktemp -d -t kurator-verify-codegen.XXXXXX)
cleanup() {
  chmod -R u+w "${TMP}" 2>/dev/null || true
  rm -rf "${TMP}"
}
trap cleanup EXIT

# A copy of what codegen reads and writes; the generator binaries already in _output are
# reused (kube_codegen.sh reinstalls them only if their sources changed).
mkdir -p "${TMP}/repo/_output"
cp -a "${ROOT}/go.mod" "${ROOT}/go.sum" "${ROOT}/hack" "${ROOT}/pkg" "${TMP}/repo/"
if [[ -d "${ROOT}/_output/codegen-bin" ]]; then
  cp -a "${ROOT}/_output/codegen-bin" "${TMP}/repo/_output/"
fi

"${TMP}/repo/hack/update-codegen.sh"

echo "Diffing generated code against the working tree"
ret=0
for dir in pkg/apis pkg/generated; do
  diff -Naupr "${ROOT}/${dir}" "${TMP}/repo/${dir}" || ret=$?
done
if [[ ${ret} -ne 0 ]]; then
  echo "Generated code is out of date: run hack/update-codegen.sh and commit the result." >&2
  exit 1
fi
echo "Generated code is up to date."
