# The verbs a person types. `make reproduce` and `make test` create .venv when
# it is missing and install everything first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The Keras backend: tensorflow (the default), jax or torch, e.g. `make BACKEND=jax reproduce`.
# Its CPU build unless an NVIDIA driver is present; force TensorFlow's with
# `make TF=gpu ...` or `make TF=cpu ...`.
BACKEND ?= tensorflow
GPU := $(if $(shell command -v nvidia-smi 2>/dev/null),yes,)
TF ?= $(if $(GPU),gpu,cpu)
EXTRA_tensorflow := $(TF)
EXTRA_jax := $(if $(GPU),jax-cuda,jax)
EXTRA_torch := torch
EXTRA := $(EXTRA_$(BACKEND))
INSTALLED := $(VENV)/.installed-$(EXTRA)
SEED ?= 42
# Where `make reproduce` and `make bench` find CIFAR-10: the local JPEG copy
# beside the project when there is one, else Keras's download. Any tarball or
# folder ann-keras reads works: `make reproduce CIFAR10=~/cifar-10-python.tar.gz`.
CIFAR10 ?= $(wildcard ../shared/data/cifar10-jpg.tar.gz)

.PHONY: install reproduce test bench bench-short lint docs clean

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[$(EXTRA),test,dev,docs]"
	rm -f $(VENV)/.installed-*
	touch $@

reproduce: install
	ANN_KERAS_CIFAR10="$(if $(CIFAR10),$(abspath $(CIFAR10)))" $(BIN)/ann-keras reproduce --seed $(SEED) --backend $(BACKEND)

test: install
	$(BIN)/python -m pytest

bench: install
	ANN_KERAS_CIFAR10="$(if $(CIFAR10),$(abspath $(CIFAR10)))" $(BIN)/python bench/run.py --mode full

bench-short: install
	ANN_KERAS_CIFAR10="$(if $(CIFAR10),$(abspath $(CIFAR10)))" $(BIN)/python bench/run.py --mode short

# The documentation site at http://127.0.0.1:8000, rebuilt as docs/ changes; `mkdocs build --strict` checks it.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: install
	$(BIN)/python -m flake8 ann_keras tests bench

clean:
	rm -rf runs build site *.egg-info .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
