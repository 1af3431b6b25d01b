# syntax=docker/dockerfile:1
#
# civibot: one static Go binary in a distroless image (CA certificates and
# time zones included, no shell), running as a non-root user.
#
#   docker build -t civibot .
#   docker run --rm -p 8080:8080 civibot          # the sample city, state in memory
#
# With Redis and a knowledge base: docker-compose.yml and docs/deploy.md.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
# The German–English dictionary (TU Chemnitz, GPL-2+) from which ingest
# builds the translation table: English questions over German pages.
RUN apt-get update && apt-get install -y --no-install-recommends trans-de-en \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/civibot ./cmd/civibot \
 && mkdir -p /out/state/data /out/state/kb

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/civibot /usr/local/bin/civibot
COPY --from=build /usr/share/trans/de-en /usr/share/trans/de-en
COPY --from=build /usr/share/doc/trans-de-en/copyright /usr/share/doc/trans-de-en/copyright
# The data directory (generated keys, accounts without Redis) and the
# knowledge base, owned by the nonroot user (65532) so volumes start writable.
COPY --from=build --chown=65532:65532 /out/state /var/lib/civibot
ENV CIVIBOT_SERVER_ADDR=:8080 \
    CIVIBOT_SECURITY_DATA_DIR=/var/lib/civibot/data \
    CIVIBOT_LOG_FORMAT=json
USER 65532:65532
WORKDIR /var/lib/civibot
EXPOSE 8080
VOLUME ["/var/lib/civibot/data", "/var/lib/civibot/kb"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/civibot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/civibot"]
CMD ["serve"]
