# Build: a static binary (modernc SQLite is pure Go, so no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ethicsportal . \
 && mkdir -p /out/data

# Run: no shell, no package manager, a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ethicsportal /usr/local/bin/ethicsportal
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV PORTAL_ADDR=0.0.0.0:8080 \
    PORTAL_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ethicsportal"]
CMD ["serve"]
