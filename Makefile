# One word for a newcomer: `make check` (install what is missing, build, run
# every test) or `make run` (build and start jotd on 127.0.0.1:8080).
# The real build is CMake; this file only drives it.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_BUILD ?= build-fuzz-smoke
CMAKE_FLAGS ?=

# Debian packages the build and the tests need.
DEPS = cmake make gcc clang pkg-config libssl-dev libjansson-dev libcmocka-dev \
       libmicrohttpd-dev libargon2-dev libsqlite3-dev sqlite3 \
       python3 python3-jwt python3-cryptography valgrind curl libclang-rt-14-dev \
       libpq-dev postgresql nginx chromium libzxcvbn-dev faketime

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build check test asan fuzz run bench install clean

all: build

deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@# Node.js runs the browser tests (Playwright); a machine without it gets Debian's.
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@if [ -f tests/browser/package-lock.json ] && [ ! -d tests/browser/node_modules ]; then \
	  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error); \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Every test: the normal build, then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer (clang),
# then every fuzz target for FUZZ_SECONDS on the committed corpus.
check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) asan
	$(MAKE) fuzz

test: check

asan: deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJOT_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan + UBSan): build, replay the corpus, fuzz
# each for FUZZ_SECONDS; a finding fails (fuzz/README.md).
fuzz: deps
	JOT_FUZZ_SMOKE_BUILD=$(CURDIR)/$(FUZZ_BUILD) fuzz/smoke.sh $(FUZZ_SECONDS)

run: build
	@if [ -x $(BUILD)/server/jotd ]; then exec scripts/run-demo.sh $(BUILD); \
	else echo "jotd is not built yet (see the open issues); the jot command is $(BUILD)/cli/jot"; fi

# Benchmarks: libjot beside the raw OpenSSL floor and the Debian-packaged
# peers (libjwt, cjose), then jotd under load. Prints figures; asserts nothing.
bench: build
	bench/run $(BUILD)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
