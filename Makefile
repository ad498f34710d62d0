# aipexport: the user's entry points. The first target run on a fresh machine creates .venv
# and installs the package into it (again whenever pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NOTES  := source
NAME   := aws-ai-practitioner
BUILD  := build

# Builds are dated, never by the clock: Anki updates a note only when the incoming one is
# newer, and the same date is what makes a build reproducible. Day to day that is the last
# commit that touched the notes or the templates, or, when they have uncommitted changes,
# the newest changed file (tools/build_epoch.py); a release is dated by its own commit. A
# SOURCE_DATE_EPOCH given by the caller wins.
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell $(PYTHON) tools/build_epoch.py $(NOTES) templates)
RELEASE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null | grep . || echo $(SOURCE_DATE_EPOCH))
else
RELEASE_EPOCH := $(SOURCE_DATE_EPOCH)
endif
export SOURCE_DATE_EPOCH

.DEFAULT_GOAL := help
.PHONY: help check cards anki sync html pdf dist test fuzz bench bench-sync bench-watch watch lint goldens system-packages pdf-libraries clean

# Debian packages the tests need: Chromium draws the card faces (as Anki's own web view
# does); setpriv (util-linux) runs permission checks as an unprivileged user; Noto Sans CJK
# (fonts-noto-cjk) draws the Chinese, Japanese and Korean the PDF tests print.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Shared libraries the PDF needs, as soname:Debian package. WeasyPrint lays text out with
# Pango and subsets fonts with HarfBuzz's subsetter; without the subsetter it falls back to
# fontTools, which is twice as slow and warns on every build.
PDF_LIBRARIES := libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
	libfontconfig.so.1:libfontconfig1 libharfbuzz-subset.so.0:libharfbuzz-subset0
LDCONFIG := $(shell command -v ldconfig || echo /sbin/ldconfig)

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-sync: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[sync]'
	@touch $@

# The card-face tests typeset formulas with the MathJax Anki ships (in the desktop's wheel,
# aqt: only its data is used, so its Qt dependencies are not installed).
ANKI_DESKTOP := aqt==26.9.3

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps '$(ANKI_DESKTOP)'
	@touch $@

check: $(VENV)/.installed ## Print the diagnostics and a summary for the notes
	$(BIN)/aipexport check $(NOTES)

cards: $(VENV)/.installed ## Print the cards the notes make
	$(BIN)/aipexport cards $(NOTES)

anki: $(VENV)/.installed ## Build the Anki deck (build/aws-ai-practitioner.apkg)
	$(BIN)/aipexport anki $(NOTES) -o $(BUILD)/$(NAME).apkg

sync: $(VENV)/.installed-sync ## Write the deck into your Anki collection (close Anki; PROFILE=name if several)
	$(BIN)/aipexport sync $(NOTES) $(if $(PROFILE),--profile "$(PROFILE)")

watch: $(VENV)/.installed pdf-libraries ## Rebuild the preview and the PDF on every save; preview on http://127.0.0.1:8765/
	$(BIN)/aipexport watch $(NOTES) --serve --pdf --build-dir $(BUILD)

html: $(VENV)/.installed pdf-libraries ## Write the cheat-sheet as one web page (build/...html)
	$(BIN)/aipexport html $(NOTES) -o $(BUILD)/$(NAME).html

pdf: $(VENV)/.installed pdf-libraries ## Print the cheat-sheet (build/aws-ai-practitioner.pdf)
	$(BIN)/aipexport pdf $(NOTES) -o $(BUILD)/$(NAME).pdf

dist: $(VENV)/.installed pdf-libraries ## Release files in build/dist: .apkg, .pdf and SHA256SUMS (TAG=vX.Y.Z checks the version)
	@version=$$($(BIN)/aipexport --version | sed 's/.* //'); \
	if [ -n "$(TAG)" ] && [ "$(TAG)" != "v$$version" ]; then \
	  echo "tag $(TAG) does not match the package version $$version in pyproject.toml" >&2; exit 1; \
	fi; \
	set -e; rm -rf $(BUILD)/dist; mkdir -p $(BUILD)/dist; \
	export SOURCE_DATE_EPOCH=$(RELEASE_EPOCH); \
	$(BIN)/aipexport anki $(NOTES) --locked -o $(BUILD)/dist/$(NAME)-$$version.apkg; \
	$(BIN)/aipexport pdf $(NOTES) -o $(BUILD)/dist/$(NAME)-$$version.pdf; \
	cd $(BUILD)/dist && sha256sum $(NAME)-$$version.apkg $(NAME)-$$version.pdf > SHA256SUMS; \
	cat SHA256SUMS

lint: $(VENV)/.installed-test ## ruff, mypy --strict on src/, and actionlint on the GitHub workflows
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/actionlint .github/workflows/*.yml

system-packages: ## Install the Debian packages the tests need, when missing
	@command -v chromium || command -v chromium-browser || command -v google-chrome || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }
	@command -v setpriv >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends util-linux; }
	@[ -e /usr/share/fontconfig/conf.avail/70-fonts-noto-cjk.conf ] || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-cjk; }

pdf-libraries: ## Install the shared libraries the PDF needs (Debian, Ubuntu), when missing
	@[ "$$(uname -s)" = Linux ] || exit 0; missing=""; \
	for entry in $(PDF_LIBRARIES); do \
	  $(LDCONFIG) -p 2>/dev/null | grep -qF "$${entry%%:*} " || missing="$$missing $${entry##*:}"; \
	done; \
	[ -n "$$missing" ] || exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "The PDF needs these libraries (Debian names):$$missing; install them" >&2; exit 1; \
	fi; \
	echo "Installing what the PDF needs:$$missing"; \
	$(SUDO) apt-get update -qq && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null

test: lint system-packages pdf-libraries ## Lint, then run the whole test suite
	$(BIN)/python -m pytest

# The sets of real notes the bench builds, one a subdirectory (left out when missing).
CORPORA ?= ../shared/corpora

bench: $(VENV)/.installed pdf-libraries ## Time the builds on the notes and real sets (CORPORA=dir) and update the README
	$(BIN)/python benchmarks/bench.py --corpora "$(CORPORA)"

bench-sync: $(VENV)/.installed-sync ## Time aipexport sync on the notes and ten times the notes
	$(BIN)/python benchmarks/sync_bench.py

bench-watch: $(VENV)/.installed-test pdf-libraries system-packages ## Time watch: edit to preview in Chromium, edit to PDF (medians of 5)
	$(BIN)/python -m benchmarks.watch_timing

fuzz: $(VENV)/.installed-test ## Fuzz the parser and the deck with many random notes (minutes)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/hostile/test_fuzz.py

goldens: $(VENV)/.installed-test ## Rewrite the parser's expected outputs (review the diff!)
	$(BIN)/python -m tests.golden
	$(BIN)/python -m tests.tree_fixtures

clean: ## Remove build outputs (keeps .venv)
	rm -rf $(BUILD) .pytest_cache .ruff_cache
