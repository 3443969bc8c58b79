# The two set-up commands of the README: `make run` (the tour) and `make test` (the test suite).
# Both install libuv (Debian's libuv1-dev) first when pkg-config cannot find it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps run test bench fuzz
deps:
	@if ! pkg-config --exists libuv 2>/dev/null; then \
	  echo "Installing libuv1-dev (and pkg-config) with apt-get..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libuv1-dev pkg-config; \
	fi

run: deps
	swift run -c release asyncio-tour all

test: deps
	swift build --build-tests
	swift test --skip-build

bench: deps
	bash Benchmarks/compare.sh

# libFuzzer + AddressSanitizer on the StreamReader's buffer (Fuzz/, a package of its own; README,
# "Fuzzing"). Not part of `test`. FUZZ_SECONDS=600 make fuzz runs longer.
FUZZ_SECONDS ?= 60
fuzz:
	swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	mkdir -p Fuzz/.build/corpus Fuzz/.build/artifacts
	SWIFT_BACKTRACE=enable=no Fuzz/.build/release/StreamReaderFuzz Fuzz/.build/corpus \
	  -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=Fuzz/.build/artifacts/ -print_final_stats=1
