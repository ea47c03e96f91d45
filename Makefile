# Delve for Swift — the two set-up commands are `make demo` and `make test`.
# Both install the Debian/Ubuntu packages they need (with apt-get, via sudo when not root)
# when they are missing, then build.

SWIFT      ?= swift
APT_PKGS   := libopenblas-dev liblapacke-dev zlib1g-dev pkg-config
# CPU: `auto` (default) compiles the Swift code for this machine's vector extensions when /proc/cpuinfo
# lists them: x86-64-v4 (`-target-cpu skylake-avx512`: AVX-512 F/CD/BW/DQ/VL on top of v3) or x86-64-v3
# (`-target-cpu haswell`: AVX2, FMA, BMI, F16C, MOVBE, LZCNT) — the vector loops then run 8 lanes wide
# instead of SSE's 4 (v4 adds 32 vector registers and masked tails) — and the portable baseline otherwise;
# `CPU=baseline` forces the baseline, any other value is passed to -target-cpu. Plain `swift build`
# always builds the baseline.
CPU        ?= auto
V3_FLAGS   := avx2 fma bmi1 bmi2 f16c movbe abm
V4_FLAGS   := $(V3_FLAGS) avx512f avx512cd avx512bw avx512dq avx512vl
ifeq ($(CPU),auto)
CPU_FLAGS  := $(shell has() { for f in $$*; do grep -qw $$f /proc/cpuinfo || return 1; done; }; \
              if [ "$$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then \
                if has $(V4_FLAGS); then echo "-Xswiftc -target-cpu -Xswiftc skylake-avx512"; \
                elif has $(V3_FLAGS); then echo "-Xswiftc -target-cpu -Xswiftc haswell"; fi; fi)
else ifeq ($(CPU),baseline)
CPU_FLAGS  :=
else
CPU_FLAGS  := -Xswiftc -target-cpu -Xswiftc $(CPU)
endif
RELEASE    := -c release $(CPU_FLAGS)
TESTFLAGS  := -c release -Xswiftc -enable-testing $(CPU_FLAGS)
BIN         = $(shell $(SWIFT) build $(RELEASE) --show-bin-path)

.PHONY: deps build install demo test docs bench fuzz tsan rss clean python wheel-check

## deps: install missing system packages (Debian/Ubuntu).
deps:
	@missing=""; \
	if command -v dpkg >/dev/null 2>&1; then \
	  for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo "Installing:$$missing"; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq $$missing; \
	fi

## build: release build of the library, the `delve` tool and `delve-bench`.
build: deps
	$(SWIFT) build $(RELEASE)

## install: release build, then `delve` into $(PREFIX)/bin (PREFIX=/usr/local unless given).
PREFIX     ?= /usr/local
install: build
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 755 "$(BIN)/delve" "$(DESTDIR)$(PREFIX)/bin/delve"

## demo: build, then run the demo.
demo: build
	@bash scripts/demo.sh "$(BIN)"

## test: the whole test suite (release build with testing enabled: numeric code is slow in debug).
test: deps
	$(SWIFT) build $(TESTFLAGS) --build-tests
	$(SWIFT) test $(TESTFLAGS) --skip-build
	@bash scripts/cli-tests.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/crash-tests.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/fault-tests.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/tensorboard-check.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/golden-check.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/alloc-check.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/check-snippets.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/c-interface-check.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@bash scripts/python-tests.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)"
	@$(MAKE) --no-print-directory tsan

## docs: the DocC documentation of the public targets (API reference and articles, with the examples
## of Snippets/) into .build/docs/<Target>.doccarchive, with swift-docc-plugin; fails on any warning.
DOC_TARGETS := Delve DelveOutputs DelveNN DelveData DelveNNTracking DelveTraining
DOCS_OUT    := .build/docs
docs: deps
	@mkdir -p "$(DOCS_OUT)"
	$(SWIFT) package --allow-writing-to-directory "$(DOCS_OUT)" generate-documentation \
	  $(foreach t,$(DOC_TARGETS),--target $(t)) --output-path "$(DOCS_OUT)" --warnings-as-errors

## python: the Python package `delve_swift` as a wheel in dist/ with libDelveC inside, linked with the Swift
## runtime statically (its own build folder .build/python; see scripts/build-wheel.sh); then
## `pip install dist/delve_swift-*.whl`. It needs OpenBLAS, LAPACKE and zlib at run time.
SWIFT_STATIC = $(shell d=$$(dirname $$(dirname $$(readlink -f $$(command -v swiftc)))); echo $$d/lib/swift_static/linux)
PYFLAGS     = $(RELEASE) --scratch-path .build/python --static-swift-stdlib -Xlinker -L$(SWIFT_STATIC)
python: deps
	$(SWIFT) build $(PYFLAGS) --product DelveC
	@bash scripts/build-wheel.sh "$$($(SWIFT) build $(PYFLAGS) --show-bin-path)"

## wheel-check: build the wheel, install it in a new virtual environment and track an epoch there with no
## Swift runtime loaded (python/tests/test_wheel.py; not part of `make test`, which tests the package in place).
wheel-check: python
	@DELVE_SWIFT_WHEEL="$$(ls -t $(CURDIR)/dist/delve_swift-*.whl | head -1)" \
	  bash scripts/python-tests.sh "$$($(SWIFT) build $(TESTFLAGS) --show-bin-path)" tests/test_wheel.py

## fuzz: fuzz every file parser with libFuzzer (FUZZ_RUNS inputs per target; see scripts/fuzz.sh).
fuzz: deps
	@bash scripts/fuzz.sh

## tsan: the concurrency tests under ThreadSanitizer (debug build in .build/tsan); part of `make test`
## (about 3.5 min more from a clean tree on 2 cores, seconds when the build is up to date).
TSAN_FILTER := SideBySideFlushTests|HelperThreadsTests|convolutionChunks|concurrentUpdates|perThreadAccumulatorsMerged|channelwiseWorkers|TrackerConcurrencyTests|threadedGateLoops|singleThreadScope|concurrentSpectraMatchSequential|TrackerBackgroundEpochTests
tsan: deps
	$(SWIFT) build --scratch-path .build/tsan --build-tests --sanitize=thread
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/scripts/tsan-suppressions.txt" \
	  $(SWIFT) test --scratch-path .build/tsan --sanitize=thread --skip-build --filter '$(TSAN_FILTER)'

## rss: peak memory of `delve analyze` on a 2 GB .npy (written to /tmp and deleted; see scripts/rss-check.sh).
rss: build
	@bash scripts/rss-check.sh "$(BIN)"

## bench: run every benchmark (prints ratios measured side by side).
bench: build
	"$(BIN)/delve-bench" all

clean:
	rm -rf .build
