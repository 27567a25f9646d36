# metafilm: the README's commands. `make demo` and `make test` each do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SPEC := settings.ini setup.py pyproject.toml constraints.txt
STAMP = $(VENV)/.installed-$(shell cat $(SPEC) | sha1sum | cut -c1-12)

.PHONY: install demo test test-slow docs readme export clean-nbs check-sync bench

install: $(STAMP)

$(STAMP): $(SPEC)
	@echo "==> installing metafilm and its pinned dependencies into $(VENV)/ (a few minutes the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade-strategy only-if-needed -c constraints.txt -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@
	@echo "==> installed"

demo: install
	$(BIN)/metafilm demo

export: install
	$(BIN)/nbdev_export

clean-nbs: install
	$(BIN)/nbdev_clean

# The library, the notebooks and README.md must agree with what nbdev and nbconvert generate.
check-sync: install
	@$(BIN)/python .ci/check_sync.py

test: install check-sync
	@$(BIN)/python .ci/nbtest.py

test-slow: install check-sync
	@$(BIN)/python .ci/nbtest.py --flags slow

readme: install
	$(BIN)/python .ci/readme.py > README.md

docs: install
	@if command -v quarto >/dev/null; then $(BIN)/nbdev_docs; \
	else $(BIN)/python .ci/local_docs.py; fi

bench: install
	@for b in synth prepare loader model_step predict_onnx; do echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py; done
