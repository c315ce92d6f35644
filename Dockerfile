# syntax=docker/dockerfile:1
# The log2events container image: the standalone executable (what `npm run package` builds:
# node 24 with the whole CLI built in) on distroless's glibc base (glibc, libstdc++, CA
# certificates, tzdata, no shell, no package manager), run as the numeric user 65532.
#
#   docker build -t registry.example.com/log2events:0.1.0 .
#   docker push registry.example.com/log2events:0.1.0
#
# The config is mounted at /etc/log2events/config.yaml (a ConfigMap: deploy/kubernetes/);
# /var/lib/log2events holds the spool, checkpoints and dead letters (a volume).

# Build stage: the executable is this stage's node with the bundled CLI injected.
FROM node:24-bookworm-slim AS build
# binutils: strip, ~18 MB off node's binary.
RUN apt-get update && apt-get install -y --no-install-recommends binutils && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: this stage already is Node 24, the `node` devDependency is not needed.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN node scripts/package.js --exe-only \
 && mkdir -p /rootfs/usr/bin /rootfs/var/lib/log2events /rootfs/etc/log2events \
 && cp dist/release/log2events /rootfs/usr/bin/log2events

# Runtime stage.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /rootfs/usr/bin/log2events /usr/bin/log2events
COPY --from=build --chown=65532:65532 /rootfs/var/lib/log2events /var/lib/log2events
COPY --from=build /rootfs/etc/log2events /etc/log2events
USER 65532:65532
VOLUME ["/var/lib/log2events"]
# OTLP gRPC, OTLP HTTP, admin (/healthz /readyz /metrics /status)
EXPOSE 4317 4318 8686
ENTRYPOINT ["/usr/bin/log2events"]
CMD ["run", "-c", "/etc/log2events/config.yaml"]
