# Two commands do all the set-up on a fresh Debian machine:
#   make run    install what is missing, then play the built-in default sequence
#   make test   install what is missing, then run the whole test suite (the slowest named at the end)
# and one more for the inner loop:
#   make check  the unit and CLI tests only: no sound server, no real terminal, no natural voice, no
#               whole-library render (tests/conftest.py marks the others by what they use)
# Both run the tests in parallel processes (pytest-xdist), more than the cores: most tests wait (on a
# caption held up as long as it would be heard, on a process starting). With --dist loadgroup, conftest
# gives one worker the end-to-end tests, one after the other on its own sound server, while the others
# share the rest; a module's tests that share a module-scoped fixture also stay on one worker.
WORKERS ?= 4
# make check's tests mostly wait (a process starting, a caption held up): twice as many workers keep 2 cores busy.
CHECK_WORKERS ?= 8
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_PACKAGES := espeak-ng libportaudio2
# Every program a test runs: the end-to-end tests start a headless sound server (pulseaudio; pactl and
# pacat from pulseaudio-utils) and drive a real terminal (tmux); tests/test_voice_platforms.py makes AIFF
# files with sox. tests/test_setup.py checks this list against the tests.
TEST_PACKAGES := $(RUN_PACKAGES) pulseaudio pulseaudio-utils tmux sox

.PHONY: run test check bench clean

run: $(VENV)/.installed
	@tools/system-packages $(RUN_PACKAGES)
	$(BIN)/companion play

# Two runs: the tests that wait on processes, in $(WORKERS) workers; then the end-to-end tests one after
# another, so a player measured through the sound server never shares the CPU with other tests (in one
# parallel run, on 2 loaded cores, players underran). Both run, whatever the first gives; either failing fails.
# The natural voice's library, which the last end-to-end tests start from, renders in the background from the
# first run on, in one folder both runs share (tests/conftest.py), removed at the end.
test: $(VENV)/.installed
	@tools/system-packages $(TEST_PACKAGES)
	@status=0; export COMPANION_TEST_LIBRARY=$$(mktemp -d); \
	trap 'test -f $$COMPANION_TEST_LIBRARY/status || kill -9 -$$(cat $$COMPANION_TEST_LIBRARY/render.pid 2>/dev/null) 2>/dev/null; rm -rf $$COMPANION_TEST_LIBRARY' EXIT; \
	echo "$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadgroup -m 'not e2e' --durations=20"; \
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadgroup -m "not e2e" --durations=20 || status=$$?; \
	echo "$(BIN)/python -m pytest -q -m e2e --durations=20"; \
	$(BIN)/python -m pytest -q -m e2e --durations=20 || status=$$?; \
	exit $$status

check: $(VENV)/.installed
	@tools/system-packages $(TEST_PACKAGES)
	$(BIN)/python -m pytest -q -n $(CHECK_WORKERS) --dist loadgroup -m "not e2e and not natural and not prepares"

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
