#!/usr/bin/env bash
# test.sh runs every test of the project against a real environment: it starts one with
# kurator-up unless one is running (and stops what it started at the end, unless
# KURATOR_KEEP=1), runs the unit and integration tests with KURATOR_REQUIRE_ENV=1 (so an
# integration test fails rather than skips when the environment is missing), every Go
# benchmark once, the fuzz targets for a bounded time, and the end-to-end suite.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${ROOT}"
UP=_output/bin/kurator-up
E2E_TIMEOUT=${E2E_TIMEOUT:-45m}
FUZZ_TIME=${FUZZ_TIME:-30s}

step() { echo "test: $* ($(date +%H:%M:%S))"; }

started=0
if ! "${UP}" status --check >/dev/null 2>&1; then
  step "starting the environment"
  "${UP}" up
  started=1
fi
cleanup() {
  if [ "${started}" = 1 ] && [ -z "${KURATOR_KEEP:-}" ]; then
    step "stopping the environment this run started"
    "${UP}" down || true
  fi
}
trap cleanup EXIT

# Point the integration tests at this environment (kubeconfigs, Thanos Query).
eval "$("${UP}" env)"

step "unit and integration tests"
KURATOR_REQUIRE_ENV=1 go test -count=1 $(go list ./... | grep -v /test/e2e)

# Each Go benchmark once: they must keep running (their figures come from `go test -bench`
# by hand and from test/bench, never from this step).
step "benchmarks, one iteration each"
bench_log=$(mktemp)
if ! go test -count=1 -run '^$' -bench . -benchtime 1x $(go list ./... | grep -v /test/e2e) >"${bench_log}" 2>&1; then
  cat "${bench_log}"
  rm -f "${bench_log}"
  exit 1
fi
rm -f "${bench_log}"

step "fuzzing for ${FUZZ_TIME} per target"
go test -run '^$' -fuzz '^FuzzDecodeValidate$' -fuzztime "${FUZZ_TIME}" ./pkg/apis/fleet/validation/

step "end-to-end suite"
go test -count=1 -v -timeout "${E2E_TIMEOUT}" ./test/e2e/...
step "all tests passed"
