# syntax=docker/dockerfile:1
# portguard image: build with the full toolchain, ship only node + the compiled app and its
# production dependencies on a distroless base (no shell, no package manager).

ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NODE_ENV=development npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# Lockfile first so the dependency layer is cached across source changes.
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied, and the only
# native addon (tree-sitter-bash) is not used at runtime; the shell parser loads its .wasm.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
# tsconfig.build.json compiles src/ alone: the bench and soak harnesses (tsconfig.bench.json)
# and their dev-only dependencies stay out of the image.
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && npm cache clean --force

FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=65532:65532 /app/package.json ./package.json
COPY --from=build --chown=65532:65532 /app/bin ./bin
COPY --from=build --chown=65532:65532 /app/dist ./dist
COPY --from=build --chown=65532:65532 /app/node_modules ./node_modules
# distroless :nonroot already runs as 65532; stating it keeps runAsNonRoot checks happy,
# which need a numeric UID to prove non-root.
USER 65532:65532
EXPOSE 8443 8081
# The subcommand is CMD, not ENTRYPOINT, so Kubernetes `args` can pick it: the Deployment
# passes `serve ...`, the node reporter DaemonSet `report-node ...`. `docker run` serves.
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/portguard"]
CMD ["serve"]
