# The two set-up commands of the README: `make run` (the tour) and `make test` (the test suite).
# Both install libuv (Debian's libuv1-dev) first when pkg-config cannot find it, and redis-server (with
# redis-tools: redis-cli, redis-benchmark) when it is not on PATH: AsyncioRedis's tests and the tour's
# database example run against a real redis-server (they fail, never skip, without it); and curl and nc
# (netcat-openbsd) when missing: AsyncioHTTP's tests run them against the server.
# `make conformance-check` runs the Python twins of Tests/ConformanceTests under CPython >= 3.12 and
# compares their traces with the ones the Swift conformance tests expect.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps run test docs conformance-check bench sanitize tsan asan fuzz fuzz-http
deps:
	@if ! pkg-config --exists libuv 2>/dev/null; then \
	  echo "Installing libuv1-dev (and pkg-config) with apt-get..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libuv1-dev pkg-config; \
	fi
	@if ! command -v curl >/dev/null 2>&1 || ! command -v nc >/dev/null 2>&1; then \
	  echo "Installing curl and netcat-openbsd with apt-get (AsyncioHTTP's tests run them against the server)..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl netcat-openbsd; \
	fi
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  echo "Installing redis-server and redis-tools with apt-get..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools; \
	fi

run: deps
	swift run -c release asyncio-tour all

test: deps
	swift build --build-tests
	swift test --skip-build

# The documentation: the DocC catalogs (Sources/Asyncio/Asyncio.docc, Sources/AsyncioTesting/AsyncioTesting.docc)
# and every public symbol's doc comment (AsyncioRedis and AsyncioHTTP have no catalog, only doc comments), built with
# swift-docc-plugin into one archive for the four modules,
# .build/plugins/Swift-DocC/outputs/swift-asyncio.doccarchive (to browse it:
# `swift package --disable-sandbox preview-documentation --target Asyncio`). CI runs it after `make test`.
# Any DocC warning fails the target, except those listed in .ci/docs-known-warnings (doc comments in
# folders that other branches are reworking; delete a line once its warning is fixed, and use DocC's
# --warnings-as-errors instead of this filter once the list is empty).
DOCS_LOG := .build/docs.log
docs: deps
	@mkdir -p .build
	@echo "swift package generate-documentation --target Asyncio --target AsyncioTesting --target AsyncioRedis --target AsyncioHTTP (log: $(DOCS_LOG))"
	@swift package generate-documentation --target Asyncio --target AsyncioTesting --target AsyncioRedis --target AsyncioHTTP \
	  --enable-experimental-combined-documentation >$(DOCS_LOG) 2>&1 || { cat $(DOCS_LOG); exit 1; }
	@cat $(DOCS_LOG)
	@grep -E 'warning:|error:' $(DOCS_LOG) | sort -u | grep -vxFf .ci/docs-known-warnings >$(DOCS_LOG).new || true
	@if [ -s $(DOCS_LOG).new ]; then \
	  echo "make docs: new documentation warnings (see the log above for where):"; cat $(DOCS_LOG).new; exit 1; \
	fi
	@python3 .ci/check-doc-comments.py

conformance-check:
	bash Tests/ConformanceTests/conformance-check.sh

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

# libFuzzer + AddressSanitizer on the StreamReader's buffer (Fuzz/, a package of its own; README,
# "Fuzzing"). Not part of `test`. FUZZ_SECONDS=600 make fuzz runs longer.
FUZZ_SECONDS ?= 60
fuzz:
	swift build --package-path Fuzz -c release --product StreamReaderFuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	mkdir -p Fuzz/.build/corpus Fuzz/.build/artifacts
	SWIFT_BACKTRACE=enable=no Fuzz/.build/release/StreamReaderFuzz Fuzz/.build/corpus \
	  -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=Fuzz/.build/artifacts/ -print_final_stats=1

# libFuzzer + AddressSanitizer on AsyncioHTTP's parser (Fuzz/Sources/HTTPParserFuzz): any bytes, cut
# anywhere, give the same events as given whole, never a crash, a loop or a buffer past the head limit.
fuzz-http:
	swift build --package-path Fuzz -c release --product HTTPParserFuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	mkdir -p Fuzz/.build/corpus-http Fuzz/.build/artifacts
	SWIFT_BACKTRACE=enable=no Fuzz/.build/release/HTTPParserFuzz Fuzz/.build/corpus-http \
	  -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=Fuzz/.build/artifacts/ -print_final_stats=1
