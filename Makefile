# `make run` and `make test` are all a new user needs; both start from `make setup`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: setup run test bench lock clean serve train

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Error: $(PYTHON) not found (dealwire needs Python 3.11)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: setup
	$(BIN)/dealwire run --config seeds/sample.toml

# Scheduled runs of seeds/feeds.toml, with a local Prefect server and its UI unless PREFECT_API_URL is set.
serve: setup
	$(BIN)/dealwire serve

test: setup
	$(BIN)/python -m pytest -q

# Rebuild the sentence classifier (extractors/models/sentence_types) from the annotated articles.
train: setup
	$(BIN)/python -m flows.train ../shared/eval/train

bench: setup
	$(BIN)/python -m bench

lock:
	uv pip compile requirements.in --python-version 3.11 --generate-hashes --no-header -o requirements.lock

clean:
	rm -rf $(VENV) data build *.egg-info
