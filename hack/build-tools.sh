#!/usr/bin/env bash
# build-tools.sh builds the pinned third-party binaries kurator-up runs, each from its own
# module under hack/tools/<module>/, into _output/bin/. A module is rebuilt only when its
# go.mod, go.sum, sources or the Go toolchain change (a stamp per module records that).
#
# Usage: hack/build-tools.sh [module ...]   (default: every module)
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${KURATOR_BIN_DIR:-${ROOT}/_output/bin}
STAMPS=${BIN}/.stamps
mkdir -p "${BIN}" "${STAMPS}"

# module  binary-name  package
TOOLS=$(cat <<'LIST'
kubernetes kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
kubernetes kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
kubernetes kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
kubernetes kubectl k8s.io/kubernetes/cmd/kubectl
etcd etcd .
karmada karmada-aggregated-apiserver github.com/karmada-io/karmada/cmd/aggregated-apiserver
karmada karmada-controller-manager github.com/karmada-io/karmada/cmd/controller-manager
karmada karmada-scheduler github.com/karmada-io/karmada/cmd/scheduler
karmada karmada-scheduler-estimator github.com/karmada-io/karmada/cmd/scheduler-estimator
karmada karmada-webhook github.com/karmada-io/karmada/cmd/webhook
kwok kwok sigs.k8s.io/kwok/cmd/kwok
volcano vc-scheduler volcano.sh/volcano/cmd/scheduler
volcano vc-controller-manager volcano.sh/volcano/cmd/controller-manager
prometheus prometheus github.com/prometheus/prometheus/cmd/prometheus
thanos thanos github.com/thanos-io/thanos/cmd/thanos
golangci-lint golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint
LIST
)

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
  mapfile -t modules < <(echo "${TOOLS}" | awk '{print $1}' | uniq)
fi

# Version stamps the binaries report (kubectl version, Cluster .status.kubernetesVersion).
pin_of() { awk -v m="$2" '($1 == m) {print $2; exit} ($1 == "require" && $2 == m) {print $3; exit}' "${ROOT}/hack/tools/$1/go.mod"; }
ldflags_of() {
  local v
  case "$1" in
    kubernetes)
      v=$(pin_of kubernetes k8s.io/kubernetes)
      local minor=${v#v1.}; minor=${minor%%.*}
      echo "-X k8s.io/component-base/version.gitVersion=${v} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean" ;;
    karmada)
      v=$(pin_of karmada github.com/karmada-io/karmada)
      echo "-X github.com/karmada-io/karmada/pkg/version.gitVersion=${v}" ;;
  esac
}

# Build tags as the upstream projects build their binaries: Karmada builds with
# kubernetes_protomessage_one_more_release, without which its scheduler-estimator gRPC client
# and server panic on the Kubernetes types inside their messages.
tags_of() {
  case "$1" in
    karmada) echo "kubernetes_protomessage_one_more_release" ;;
  esac
}

stamp_of() {
  local dir=$1
  { go version; ldflags_of "${module}"; tags_of "${module}"; cat "${dir}"/go.mod "${dir}"/go.sum; find "${dir}" -name '*.go' -type f | sort | xargs -r cat; } | sha256sum | awk '{print $1}'
}

for module in "${modules[@]}"; do
  dir=${ROOT}/hack/tools/${module}
  if [ ! -f "${dir}/go.mod" ]; then
    echo "build-tools: unknown tool module '${module}' (no hack/tools/${module}/go.mod)" >&2
    exit 1
  fi
  want=$(stamp_of "${dir}")
  entries=$(echo "${TOOLS}" | awk -v m="${module}" '$1 == m')
  missing=0
  while read -r _ name _; do
    [ -x "${BIN}/${name}" ] || missing=1
  done <<< "${entries}"
  if [ "${missing}" -eq 0 ] && [ "$(cat "${STAMPS}/${module}" 2>/dev/null)" = "${want}" ]; then
    echo "build-tools: ${module} is up to date"
    continue
  fi
  modpath=$(awk '/^module /{print $2; exit}' "${dir}/go.mod")
  while read -r _ name pkg; do
    start=$(date +%s)
    echo "build-tools: building ${name} from ${pkg} (module ${modpath}) ..."
    if ! (cd "${dir}" && go build -tags="$(tags_of "${module}")" -ldflags="-s -w $(ldflags_of "${module}")" -o "${BIN}/${name}.tmp" "${pkg}") 2> "${BIN}/${name}.build.log"; then
      echo "build-tools: FAILED to build ${name} in module ${modpath} (hack/tools/${module}); the Go error:" >&2
      tail -n 30 "${BIN}/${name}.build.log" >&2
      exit 1
    fi
    mv "${BIN}/${name}.tmp" "${BIN}/${name}"
    rm -f "${BIN}/${name}.build.log"
    echo "build-tools: built ${name} in $(( $(date +%s) - start ))s"
  done <<< "${entries}"
  echo "${want}" > "${STAMPS}/${module}"
done

# Stage the manifests kurator-up installs, straight from the pinned modules' own files:
# Karmada's CRDs and webhook configuration, Volcano's CRDs.
ASSETS=${KURATOR_ASSETS_DIR:-${ROOT}/_output/assets}
moddir() { (cd "${ROOT}/hack/tools/$1" && go mod download -json "$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
stage_assets() {
  local karmada volcano tmp
  karmada=$(moddir karmada github.com/karmada-io/karmada)
  volcano=$(moddir volcano volcano.sh/volcano)
  tmp=$(mktemp -d "${ASSETS}.XXXX")
  mkdir -p "${tmp}"/{karmada-crds,volcano-crds,volcano-jobflow-crds,volcano-job-crd}
  cp "${karmada}"/charts/karmada/_crds/bases/*/*.yaml "${tmp}/karmada-crds/"
  cp "${karmada}/artifacts/deploy/webhook-configuration.yaml" "${tmp}/karmada-webhook-configuration.yaml"
  cp "${volcano}"/config/crd/volcano/bases/*.yaml "${tmp}/volcano-crds/"
  cp "${volcano}"/config/crd/jobflow/bases/*.yaml "${tmp}/volcano-jobflow-crds/"
  cp "${volcano}/config/crd/volcano/bases/batch.volcano.sh_jobs.yaml" "${tmp}/volcano-job-crd/"
  chmod -R u+w "${tmp}"
  rm -rf "${ASSETS}"
  mv "${tmp}" "${ASSETS}"
}
want=$( { cat "${ROOT}"/hack/tools/karmada/go.sum "${ROOT}"/hack/tools/volcano/go.sum; sed -n '/^stage_assets()/,/^}/p' "${BASH_SOURCE[0]}"; } | sha256sum | awk '{print $1}')
if [ -d "${ASSETS}" ] && [ "$(cat "${STAMPS}/assets" 2>/dev/null)" = "${want}" ]; then
  echo "build-tools: assets are up to date"
else
  echo "build-tools: staging Karmada and Volcano manifests into ${ASSETS#"${ROOT}"/}"
  stage_assets
  echo "${want}" > "${STAMPS}/assets"
fi
