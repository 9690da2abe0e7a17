# access-events: every target runs inside .venv, which `make install` creates from pyproject.toml.
# The Python part (install, demo, lint, compat) needs only Python 3.10+; Node.js and npm are
# needed only for the JS/TS parts (generate, check-generated, test, check), which run `npm ci` first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: install install-node generate check-generated lint compat drift producer-openapi test check demo bench mutation clean

## install: .venv with the package and its dev tools; node_modules too when npm is on PATH
install: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory install-node; \
	else echo "npm not found: skipped node_modules (only generate, check-generated, test and check need Node.js)"; fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## install-node: node_modules from package-lock.json (Ajv, TypeScript, json-schema-to-typescript)
install-node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## generate: write generated/ from schemas/ (datamodel-code-generator, pinned)
generate: $(STAMP) $(NODE_STAMP)
	$(BIN)/python codegen/generate.py

## check-generated: fail when generated/ is not what `make generate` writes
check-generated: $(STAMP) $(NODE_STAMP)
	$(BIN)/python codegen/generate.py --check

## lint: check the schema files themselves
lint: $(STAMP)
	$(BIN)/access-events lint schemas

## compat: the contract gate: schemas/ against the released baseline (README "Contract gate")
compat: $(STAMP)
	$(BIN)/access-events compat contract_tests/released schemas --config contract_tests/compat.yaml

## producer-openapi: the producer's OpenAPI document, extracted from its pinned npm package (never committed)
PRODUCER_OPENAPI := build/producer/openapi.json
producer-openapi: $(STAMP) $(NODE_STAMP)
	mkdir -p build/producer
	node contract_tests/js/producer_openapi.mjs @seamapi/types > $(PRODUCER_OPENAPI).tmp
	mv $(PRODUCER_OPENAPI).tmp $(PRODUCER_OPENAPI)

## drift: the contract against the producer's current published document (README "Is our contract still what the producer sends?")
drift: producer-openapi
	$(BIN)/access-events drift $(PRODUCER_OPENAPI) --config contract_tests/compat.yaml

## test: the contract tests
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

## check: everything CI checks
check: check-generated lint compat drift test

## demo: set up, then run the main job on the bundled samples
demo: $(STAMP)
	$(BIN)/access-events lint schemas
	$(BIN)/access-events list
	$(BIN)/access-events validate contract_tests/samples/*/valid/*.json

## bench: speed as ratios against baselines in the same process (bench-results/bench.json)
bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m access_events.bench $(BENCH_ARGS)

## mutation: mutation testing (mutmut; [tool.mutmut] in pyproject.toml) of _rfc3339, _validate, receiving/signatures (webhooks),
## _fast and compat/_diff, then the score per module; slow, not part of `make check`.
## MUTATION_ARGS narrows it, e.g. make mutation MUTATION_ARGS='access_events._rfc3339'
MUTATION_ARGS ?= --every access_events.compat._diff=20
mutation: $(STAMP)
	nice -n 19 $(BIN)/python contract_tests/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) dist build .pytest_cache .hypothesis mutants
