# access-events: every target runs inside .venv, which `make install` creates from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install generate check-generated lint compat drift producer-openapi test check demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

## generate: write generated/ from schemas/ (datamodel-code-generator, pinned)
generate: $(STAMP)
	$(BIN)/python codegen/generate.py

## check-generated: fail when generated/ is not what `make generate` writes
check-generated: $(STAMP)
	$(BIN)/python codegen/generate.py --check

## lint: check the schema files themselves
lint: $(STAMP)
	$(BIN)/access-events lint schemas

## compat: the contract gate: schemas/ against the released baseline (README "Contract gate")
compat: $(STAMP)
	$(BIN)/access-events compat contract_tests/released schemas --config contract_tests/compat.yaml

## producer-openapi: the producer's OpenAPI document, extracted from its pinned npm package (never committed)
PRODUCER_OPENAPI := build/producer/openapi.json
producer-openapi: $(STAMP)
	mkdir -p build/producer
	node contract_tests/js/producer_openapi.mjs @seamapi/types > $(PRODUCER_OPENAPI).tmp
	mv $(PRODUCER_OPENAPI).tmp $(PRODUCER_OPENAPI)

## drift: the contract against the producer's current published document (README "Is our contract still what the producer sends?")
drift: producer-openapi
	$(BIN)/access-events drift $(PRODUCER_OPENAPI) --config contract_tests/compat.yaml

## test: the contract tests
test: $(STAMP)
	$(BIN)/python -m pytest

## check: everything CI checks
check: check-generated lint compat drift test

## demo: set up, then run the main job on the bundled samples
demo: $(STAMP)
	$(BIN)/access-events lint schemas
	$(BIN)/access-events list
	$(BIN)/access-events validate contract_tests/samples/*/valid/*.json

## bench: speed as ratios against baselines in the same process (bench-results/bench.json)
bench: $(STAMP)
	$(BIN)/python -m access_events.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) dist build .pytest_cache .hypothesis
