# escalator — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/escalator
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: all build deps run demo test test-short bench bench-scale fuzz lint fmt vet clean openstack openstack-down

all: build

build:
	CGO_ENABLED=1 $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/escalator

## run: run the bundled scenario suite and print the summary
run: build
	./$(BIN) run scenarios/

## demo: the upgrade flow live in a browser (http://127.0.0.1:8080, opened for you);
## DEMO_FLAGS="--speed 40 --listen 127.0.0.1:9090" to change it, Ctrl-C to stop
DEMO_FLAGS ?= --open
demo: build
	./$(BIN) demo $(DEMO_FLAGS)

## deps: fetch every module go.mod names into the module cache, the pinned
## oapi-codegen tool among them (go test fetches only what the tested
## packages import; the freshness test of the generated code runs the tool
## offline)
deps:
	$(GO) mod download

## test: every test, with the race detector (the real-Nova tests of
## orchestrator/openstack run when .ci/openstack/up.sh has brought a stack
## up, and skip otherwise; they add minutes to cmd/escalator, hence the
## timeout)
test: deps
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -race -count=1 -timeout 30m ./...

## openstack: install and start a real Nova on loopback (Debian 12 packages,
## as root, minutes), then run the real-Nova tests against it; the stack
## keeps running for more runs until make openstack-down
openstack:
	.ci/openstack/install.sh
	.ci/openstack/up.sh
	ESCALATOR_REQUIRE_OPENSTACK=1 $(GO) test -count=1 -timeout 20m -v -run 'TestOpenStack' ./cmd/escalator

openstack-down:
	.ci/openstack/down.sh

## bench: benchmarks, including the 1,000-node / 20,000-VM upgrade (the
## larger sizes of BenchmarkScaleF1 are for profiling one at a time, e.g.
## -bench 'ScaleF1/nodes=5000$$' -benchtime 1x -cpuprofile cpu.out)
bench:
	$(GO) test -run '^$$' -bench . -skip 'ScaleF1/nodes=([25]000|10000)$$' -benchmem ./...

## bench-scale: the scale curve of the F1 upgrade at 1k, 2k, 5k and 10k nodes
## (20 VMs a node), each size in a process of its own: wall, peak RSS,
## events/s, the 10k/1k ratios, the 1k makespan and the world's size, into
## bench/results.json and bench/results.md (bench/PROFILE.md explains them).
## Several minutes; not part of make test. BENCH_FLAGS="--sizes 1000,10000".
BENCH_FLAGS ?=
bench-scale: build
	$(GO) run ./cmd/benchscale --bin $(BIN) --out bench $(BENCH_FLAGS)

## fuzz: fuzz the scenario loader for a minute
fuzz:
	$(GO) test ./scenarios/load/ -run '^$$' -fuzz FuzzLoadBytes -fuzztime 60s

## lint: go vet, the gofmt check, and Redocly's lint of the three OpenAPI specs
## (openapi/redocly.yaml; needs npx and the npm registry the first time)
REDOCLY ?= npx --yes @redocly/cli@2.77.0
lint: vet
	@unformatted=$$(gofmt -l .); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint --config openapi/redocly.yaml

vet:
	$(GO) vet ./...

fmt:
	gofmt -w .

clean:
	rm -rf bin
