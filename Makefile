# The two commands of the README. Each creates .venv and installs what it needs on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.14.1 torchvision==0.29.1
STUDY ?= studies/quick.yaml
NAME ?= $(basename $(notdir $(STUDY)))-$(shell date +%Y%m%d-%H%M%S)
BIN = $(VENV)/bin

.PHONY: install study test
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

study: install  ## run the embedded-default study and write its report
	$(BIN)/ganstudy run $(STUDY) --storage results --name $(NAME)
	$(BIN)/ganstudy report results/$(NAME)

test: install  ## lint, then run the test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q
