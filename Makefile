# The two set-up commands of the README: `make run` (the tour) and `make test` (the test suite).
# Both install libuv (Debian's libuv1-dev) first when pkg-config cannot find it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps run test bench sanitize tsan asan
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

# The whole suite under ThreadSanitizer and AddressSanitizer (LeakSanitizer included), each in its
# own build directory; any report fails the run. CI runs it after `make test`.
# halt_on_error: the first report ends the run with a failure, never a warning lost in the log.
# Suppressions (.sanitizers/*.supp) cover reports from outside this package only, each with its reason.
# Exit tests' child processes inherit these options and are checked as well: a deliberate precondition
# failure is a trap (SIGILL), which neither sanitizer reports (handle_sigill=0, their default), and
# LeakSanitizer runs only when a process exits normally, so a trapping child is never a leak report.
TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1
ASAN_OPTIONS ?= halt_on_error=1 detect_leaks=1 detect_stack_use_after_return=0
LSAN_OPTIONS ?= suppressions=$(CURDIR)/.sanitizers/lsan.supp
sanitize: tsan asan

tsan: deps
	swift build --build-tests --sanitize=thread --build-path .build-tsan
	TSAN_OPTIONS="$(TSAN_OPTIONS)" swift test --skip-build --sanitize=thread --build-path .build-tsan

asan: deps
	swift build --build-tests --sanitize=address --build-path .build-asan
	ASAN_OPTIONS="$(ASAN_OPTIONS)" LSAN_OPTIONS="$(LSAN_OPTIONS)" swift test --skip-build --sanitize=address --build-path .build-asan
