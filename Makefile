# Stockade build, test and benchmark entry points. `make` builds bin/runsc.

GO           ?= go
RUNSC        := bin/runsc
TEST_TIMEOUT ?= 12m
# Extra flags for go test, e.g. TESTFLAGS='-run TestDifferential -v'.
TESTFLAGS    ?=
# Flags for the benchmark program, e.g. BENCHFLAGS='-platform ptrace -runs 20'.
BENCHFLAGS   ?=

.PHONY: all build test bench vet clean docs vdso vdso-check test-validation test-integration shim test-integration-containerd test-integration-cri

all: build

# Always delegate to go build: it knows when the binary is up to date.
build:
	$(GO) build -ldflags "-X github.com/stockade-sandbox/stockade/runsc/cmd.commit=$$(git rev-parse --short HEAD 2>/dev/null)" -o $(RUNSC) ./runsc

# The e2e tests run $(RUNSC); -count=1 because they depend on files go test
# does not track (the runsc binary's behaviour, gcc output).
test: build
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...

bench: build
	$(GO) run ./test/bench -runsc $(CURDIR)/$(RUNSC) $(BENCHFLAGS)

vet:
	$(GO) vet ./...
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$out"; exit 1; fi

# docs/syscalls.md is generated from the syscall table; a test checks it is current.
docs: build
	$(RUNSC) syscalls --format=markdown > docs/syscalls.md

# The vDSO image is committed (sentry/vdso/vdso.so) so that go build needs no C toolchain.
# vdso rebuilds it from sentry/vdso/src; vdso-check fails if the committed bytes are stale
# (TestImageIsCurrent runs the same check when gcc is the recorded version).
vdso:
	$(MAKE) -C sentry/vdso/src

vdso-check:
	$(MAKE) -C sentry/vdso/src check

# The OCI runtime-tools validation suite against runsc (and runc, for comparison): prints
# the TAP counts, fails only below the floor in test/validation/floor.
test-validation: build
	RUNSC=$(CURDIR)/$(RUNSC) test/validation/run.sh

# Docker with --runtime=runsc against real daemons started in a temporary directory.
test-integration: build
	RUNSC=$(CURDIR)/$(RUNSC) test/integration/docker.sh

# The containerd shim (bin/containerd-shim-runsc-v1) is a module of its own in shim/, so that
# containerd's dependency tree stays out of the main module; it runs the bin/runsc beside it.
shim:
	cd shim && $(GO) build -o $(CURDIR)/bin/containerd-shim-runsc-v1 .

# ctr run --runtime io.containerd.runsc.v1 against a containerd 2.x built from the module
# proxy into a cache directory (see docs/containerd.md).
test-integration-containerd: build shim
	cd shim && $(GO) test -count=1 .
	RUNSC=$(CURDIR)/$(RUNSC) SHIM=$(CURDIR)/bin/containerd-shim-runsc-v1 test/integration/containerd.sh

# containerd's CRI plugin driven as the kubelet drives it (shim/critest, k8s.io/cri-api): a
# pod with the runtime handler runsc, its two containers in one sandbox (see
# docs/kubernetes.md). Needs containernetworking-plugins (the pod network).
test-integration-cri: build shim
	RUNSC=$(CURDIR)/$(RUNSC) SHIM=$(CURDIR)/bin/containerd-shim-runsc-v1 test/integration/cri.sh

clean:
	rm -rf bin
