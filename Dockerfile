# syntax=docker/dockerfile:1
#
# pigrid: one image for all three components; the first argument picks one.
#   docker build -t pigrid:0.1.0 .
#   docker run --rm --init pigrid:0.1.0 worker          (CMD default: gateway)
# In Kubernetes each workload sets args: ["coordinator"|"worker"|"gateway"].
#
# PID 1: `node` runs as PID 1 with no init. That is deliberate: main.ts installs SIGTERM and
# SIGINT handlers (the kernel ignores unhandled signals sent to PID 1, so the handlers are
# required and present), and pigrid starts no child processes (piscina uses worker threads),
# so there are no zombies to reap. tini would add nothing; with plain `docker run`, pass
# --init if you want Ctrl-C to work before the app has installed its handlers.
#
# Pin the base by digest too in CI (node:20.20.2-bookworm-slim@sha256:...) for reproducible builds.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: compile TypeScript, the better-sqlite3 addon and the native π kernel ------------
FROM ${NODE_IMAGE} AS build
# node-gyp's toolchain: for better-sqlite3 when no prebuilt binary matches, and for the native
# kernel (native/, C). Build stage only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# package.json's "allowScripts" (which dependencies may run install scripts: better-sqlite3,
# protobufjs) is an npm 11 feature; node 20 images ship npm 10.
RUN npm install -g npm@11.19.1
# Build the addon against the headers shipped in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
# Dependencies first, in their own layer: a source-only change reuses it. The native kernel's
# sources come along because npm ci runs the root package's install script, which compiles the
# addon (native/scripts/build-addon.mjs) for baseline x86-64 with per-function AVX2/AVX-512
# loops, so one image serves every x86-64 CPU. On arm64 (or if the compiler fails) it builds
# nothing, records why in native/addon/build-status.json, and the workers use WebAssembly.
COPY package.json package-lock.json ./
COPY native ./native
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# Sources (.dockerignore keeps node_modules, dist, tests, k8s, .git and any host build of the
# addon out, so the one compiled above stays).
COPY . .
# tsc -> dist/, then drop devDependencies; node_modules keeps the compiled addon.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: node, the compiled app, production dependencies, run-time assets --------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the app user: the code cannot be modified at run time
# (the pods also mount the root filesystem read-only).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Loaded at run time relative to the app root (shared/paths.ts finds it by proto/pigrid/v1):
# the gRPC contract, and the gateway's dashboard page.
COPY --from=build /app/proto ./proto
COPY --from=build /app/gateway/public ./gateway/public
# The native kernel: the .node file alone (no sources, objects or compiler), beside its build
# status. The directory always exists, also when nothing was compiled (arm64): the loader then
# reads the reason there and the WebAssembly kernel runs.
COPY --from=build /app/native/addon ./native/addon
# Numeric, so Kubernetes can verify runAsNonRoot; pods set runAsUser/runAsGroup/fsGroup 10001.
USER 10001:10001
# coordinator gRPC 50051 + metrics 9464, worker gRPC 50061 + metrics 9465, gateway HTTP 8080.
EXPOSE 50051 9464 50061 9465 8080
# Exec form: node is PID 1 and receives SIGTERM directly; no shell at run time.
ENTRYPOINT ["node", "dist/main.js"]
CMD ["gateway"]
