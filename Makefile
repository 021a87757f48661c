# Two commands do all the set-up on a fresh Debian machine:
#   make run    install what is missing, then play the built-in default sequence
#   make test   install what is missing, then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_PACKAGES := espeak-ng libportaudio2
# The end-to-end tests start a headless sound server and drive a real terminal.
TEST_PACKAGES := $(RUN_PACKAGES) pulseaudio pulseaudio-utils tmux

.PHONY: run test bench clean

run: $(VENV)/.installed
	@tools/system-packages $(RUN_PACKAGES)
	$(BIN)/companion play

test: $(VENV)/.installed
	@tools/system-packages $(TEST_PACKAGES)
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	@tools/system-packages $(TEST_PACKAGES)
	$(BIN)/python bench/run_all.py

# pip compiles what it installs, but not companion itself (an editable install): compiled here,
# the first run (or every run, under PYTHONDONTWRITEBYTECODE) does not compile it during start-up.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || tools/system-packages python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,natural]'
	$(BIN)/python -m compileall -q companion
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache
