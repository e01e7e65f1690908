#!/usr/bin/env bash
# update-codegen.sh regenerates every generated file of the API groups under pkg/apis:
# deepcopy, defaulting and conversion functions (zz_generated.*.go next to the types),
# OpenAPI definitions with model names, and the clientset, listers, informers and apply
# configurations under pkg/generated. It uses k8s.io/code-generator at the version go.mod
# pins, from the module cache; the generator binaries go to _output/codegen-bin.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "${ROOT}"

MODULE=$(go list -m)
BOILERPLATE="${ROOT}/hack/boilerplate.go.txt"
# Reported OpenAPI rule violations (list types, field names). The file is rewritten on every
# run; verify-codegen.sh fails when it changes, so a new violation cannot slip in unnoticed.
API_VIOLATIONS="${ROOT}/pkg/generated/openapi/api_violations.list"

go mod download k8s.io/code-generator
CODEGEN_PKG=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
if [[ -z "${CODEGEN_PKG}" || ! -f "${CODEGEN_PKG}/kube_codegen.sh" ]]; then
  echo "k8s.io/code-generator is not in the module cache; is it required in go.mod?" >&2
  exit 1
fi

# kube_codegen.sh installs the generators into $(go env GOBIN); keep them in _output.
export GOBIN="${ROOT}/_output/codegen-bin"
mkdir -p "${GOBIN}"

# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

kube::codegen::gen_helpers \
  --boilerplate "${BOILERPLATE}" \
  "${ROOT}/pkg/apis"

kube::codegen::gen_openapi \
  --output-dir "${ROOT}/pkg/generated/openapi" \
  --output-pkg "${MODULE}/pkg/generated/openapi" \
  --output-model-name-file "zz_generated.model_name.go" \
  --report-filename "${API_VIOLATIONS}" \
  --update-report \
  --boilerplate "${BOILERPLATE}" \
  "${ROOT}/pkg/apis"

kube::codegen::gen_client \
  --with-watch \
  --with-applyconfig \
  --output-dir "${ROOT}/pkg/generated" \
  --output-pkg "${MODULE}/pkg/generated" \
  --boilerplate "${BOILERPLATE}" \
  "${ROOT}/pkg/apis"
