# fundsim — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: demo test fuzz lint mutate bench bench-mc bench-solvers bench-sensitivity lab clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## demo: set up, solve and simulate the reference scenario, write its outputs and print a summary
demo: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/fundsim solve scenarios/gam-2008.yaml --out $(OUT)/gam-2008.nc --out $(OUT)/gam-2008.xlsx --out $(OUT)/gam-2008.csv
	$(BIN)/fundsim simulate scenarios/gam-2008-uncertain.yaml --draws 200 --mode reoptimise --out $(OUT)/gam-2008-mc.zarr

## test: set up, lint, then the whole suite including the notebooks
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q --doctest-modules fundsim tests --nbmake notebooks

## fuzz: 10 000 mutated scenarios and allocation files in all (fresh random data; FUNDSIM_FUZZ_EXAMPLES=N for
## more): every one must give a result or a fundsim error with a message, never another exception or a hang
fuzz: $(STAMP)
	FUNDSIM_FUZZ_EXAMPLES=$${FUNDSIM_FUZZ_EXAMPLES:-10000} $(BIN)/python -m pytest -q tests/test_fuzz.py \
		--hypothesis-show-statistics

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## mutate: mutation testing (mutmut) of the modules that compute money against their fast tests, then the
## survivors; [tool.mutmut] in pyproject.toml says which. One module: make mutate MUTANTS='fundsim.montecarlo.numbers*'
MUTANTS ?=
MUTATE_SECONDS ?= 1800
mutate: $(STAMP)
	timeout $(MUTATE_SECONDS) $(BIN)/mutmut run --max-children 2 $(MUTANTS); status=$$?; \
	$(BIN)/mutmut results; exit $$status

## bench: build+solve timings against PuLP, printed as ratio tables
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

## bench-mc, bench-solvers, bench-sensitivity: Monte Carlo, HiGHS against CBC, sweeps and Sobol' studies
bench-mc: $(STAMP)
	$(BIN)/python benchmarks/montecarlo.py

bench-solvers: $(STAMP)
	$(BIN)/python benchmarks/solvers.py

bench-sensitivity: $(STAMP)
	$(BIN)/python benchmarks/sensitivity.py

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache .mypy_cache mutants
