# access-events: every target runs inside .venv, which `make install` creates from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install generate check-generated lint compat test check demo bench mutation clean

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

## test: the contract tests
test: $(STAMP)
	$(BIN)/python -m pytest

## check: everything CI checks
check: check-generated lint compat test

## demo: set up, then run the main job on the bundled samples
demo: $(STAMP)
	$(BIN)/access-events lint schemas
	$(BIN)/access-events list
	$(BIN)/access-events validate contract_tests/samples/*/valid/*.json

## bench: speed as ratios against baselines in the same process (bench-results/bench.json)
bench: $(STAMP)
	$(BIN)/python -m access_events.bench $(BENCH_ARGS)

## mutation: mutation testing (mutmut; [tool.mutmut] in pyproject.toml) of _rfc3339, _validate, webhooks,
## _fast and compat/_diff, then the score per module; slow, not part of `make check`.
## MUTATION_ARGS narrows it, e.g. make mutation MUTATION_ARGS='access_events._rfc3339'
MUTATION_ARGS ?= --every access_events.compat._diff=20
mutation: $(STAMP)
	nice -n 19 $(BIN)/python tools/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) dist build .pytest_cache .hypothesis mutants
