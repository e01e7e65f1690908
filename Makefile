# kurator: make a Karmada fleet feel like one cloud.
# `make help` lists the targets.

SHELL := /usr/bin/env bash -o errexit -o nounset -o pipefail
.DEFAULT_GOAL := help

OUTPUT     ?= _output
BIN        := $(OUTPUT)/bin
GO         ?= go
E2E_TIMEOUT ?= 45m
SCENARIO   ?= artifacts/localup/scenario.yaml
COMMANDS   := $(notdir $(wildcard cmd/*))

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: ## Build the pinned third-party binaries (Kubernetes, Karmada, etcd, kwok, Volcano, Prometheus, Thanos) into _output/bin.
	hack/build-tools.sh

.PHONY: build
build: ## Build kurator's own binaries into _output/bin.
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(COMMANDS))

.PHONY: local-up
local-up: tools build ## Start Karmada, three members, Volcano and Thanos locally (SCENARIO=file to change the fleet).
	$(BIN)/kurator-up up --scenario $(SCENARIO)

.PHONY: local-down
local-down: ## Stop everything local-up started and remove its data.
	@if [ -x $(BIN)/kurator-up ]; then $(BIN)/kurator-up down; fi

.PHONY: local-status
local-status: ## Show the processes and clusters of the local environment.
	$(BIN)/kurator-up status

.PHONY: test
test: tools build ## Run every test (unit, integration, fuzz, end-to-end) against a kurator-up environment it starts unless one runs.
	hack/test.sh

.PHONY: test-unit
test-unit: ## Run the unit and in-process integration tests (integration tests skip without an environment).
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /test/e2e)

.PHONY: test-e2e
test-e2e: tools build ## Run the end-to-end suite (starts an environment unless one is running, and stops what it started).
	$(GO) test -count=1 -v -timeout $(E2E_TIMEOUT) ./test/e2e/...

.PHONY: verify
verify: ## Check formatting, generated code, vet and lint.
	hack/verify-gofmt.sh
	hack/verify-codegen.sh
	$(GO) vet ./...
	hack/build-tools.sh golangci-lint
	$(BIN)/golangci-lint run ./...

.PHONY: update
update: ## Regenerate generated code (deepcopy, conversion, OpenAPI, clients).
	hack/update-codegen.sh

.PHONY: lint
lint: ## Run golangci-lint.
	hack/build-tools.sh golangci-lint
	$(BIN)/golangci-lint run ./...

.PHONY: clean
clean: local-down ## Stop the environment and remove _output (binaries included).
	rm -rf $(OUTPUT)
