# civibot — the two commands a newcomer needs:
#   make run    run civibot with the bundled sample city on http://127.0.0.1:8080
#   make test   install what the tests need (redis-server, chromium, dovecot), vet, and run every test
GO      ?= go
# APT_INSTALL installs Debian/Ubuntu packages: as root directly, otherwise
# with sudo; without either it says what to install instead of failing
# obscurely.
APT_INSTALL = sh -c 'if [ "$$(id -u)" = 0 ]; then s=; elif command -v sudo >/dev/null 2>&1; then s=sudo; \
  else echo "make deps: $$* missing, and neither root nor sudo: install it as root (apt-get install $$*), then run make test again" >&2; exit 1; fi; \
  export DEBIAN_FRONTEND=noninteractive; $$s apt-get -y -qq -o=Dpkg::Use-Pty=0 update && $$s apt-get -y -qq -o=Dpkg::Use-Pty=0 install "$$@"' apt-install

.PHONY: run test deps vet build release image bench fuzz fmt clean

# ADDR changes where civibot listens: make run ADDR=127.0.0.1:9000
# (the same as CIVIBOT_SERVER_ADDR or serve --addr).
ADDR ?=
run:
	@echo "building civibot (the first build compiles every dependency: 1–5 minutes, then seconds)"
	$(GO) run ./cmd/civibot serve $(if $(ADDR),--addr $(ADDR))

# build writes bin/civibot. Without -trimpath and with cgo as go test uses
# it, it reuses the test build cache; `make release` builds what the image
# ships (static, trimmed paths).
build:
	$(GO) build -o bin/civibot ./cmd/civibot

release:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/civibot ./cmd/civibot

# image builds the container image (Dockerfile; docs/deploy.md).
image:
	docker build -t civibot .

# deps installs the real services the tests talk to, and the German–English
# dictionary that cross-language retrieval reads. The tests start their
# own redis-server and redis-sentinel processes on free ports
# (internal/redistest: single servers, Sentinel, Cluster), their own
# headless Chromium (internal/browsertest) and their own Dovecot IMAP server
# (internal/mailtest); they only need the binaries.
deps:
	@command -v redis-server >/dev/null 2>&1 || { echo "installing redis-server"; $(APT_INSTALL) redis-server; }
	@command -v redis-sentinel >/dev/null 2>&1 || [ -x /usr/bin/redis-sentinel ] || { echo "installing redis-sentinel"; $(APT_INSTALL) redis-sentinel; }
	@[ -f /usr/share/trans/de-en ] || { echo "installing trans-de-en (the German–English dictionary)"; $(APT_INSTALL) trans-de-en; }
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { echo "installing chromium"; $(APT_INSTALL) chromium fonts-dejavu-core || { \
	  echo "make deps: the chromium package did not install. On Ubuntu it is only a snap: sudo snap install chromium (then /snap/bin/chromium must be on PATH as chromium), or use Debian's package; CIVIBOT_SKIP_BROWSER=1 skips the browser tests." >&2; exit 1; }; }
	@command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { echo "installing dovecot-imapd"; $(APT_INSTALL) dovecot-imapd; }

# vet: gofmt, go vet and staticcheck. staticcheck is fetched through the Go
# module proxy by `go run` (pinned; nothing to install).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@echo "staticcheck (the first run downloads and builds it: a minute or two)"
	$(GO) run $(STATICCHECK) ./...

test: deps vet
	$(GO) test -race -count=1 -timeout 20m ./...

# fuzz runs every fuzz target (func FuzzXxx in any _test.go) for FUZZTIME
# each, niced; `make test` only runs their seed corpora. A crasher is written
# to the package's testdata/fuzz/ and fails the run: fix it, keep the file.
FUZZTIME ?= 30s
fuzz:
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
	  pkg=$$(dirname $$file); \
	  for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    echo "== $$pkg $$target for $(FUZZTIME)"; \
	    nice -n 10 $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./knowledge/ ./dialog/ ./conversation/

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
