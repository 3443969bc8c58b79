# The two set-up commands of the README: `make run` (the tour) and `make test` (the test suite).
# Both install libuv (Debian's libuv1-dev) first when pkg-config cannot find it.
# `make conformance-check` runs the Python twins of Tests/ConformanceTests under CPython >= 3.12 and
# compares their traces with the ones the Swift conformance tests expect.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps run test conformance-check bench
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

conformance-check:
	bash Tests/ConformanceTests/conformance-check.sh

bench: deps
	bash Benchmarks/compare.sh
