# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and bundle the CLI with the full dependency tree.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the base image already is Node 24, so the `node` devDependency's download is not needed.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.js ./scripts/
COPY src ./src
# Same steps as `npm run build`: tsc (library + types), then the CLI bundle bin/ runs.
RUN ./node_modules/.bin/tsc -p tsconfig.build.json && node scripts/bundle.js && npm prune --omit=dev --ignore-scripts

# Runtime stage: production dependencies and compiled code only, as an unprivileged user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.example.yaml ./
COPY bin ./bin
RUN ln -s /app/bin/log2events.js /usr/local/bin/log2events \
 && mkdir -p /var/lib/log2events /etc/log2events \
 && chown node:node /var/lib/log2events
USER node
VOLUME ["/var/lib/log2events"]
# OTLP gRPC, OTLP HTTP, admin (/healthz /readyz /metrics)
EXPOSE 4317 4318 8686
ENTRYPOINT ["log2events"]
CMD ["run", "-c", "/etc/log2events/config.yaml"]
