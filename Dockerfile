# syntax=docker/dockerfile:1
# The SPANE server (apps/server) as an image:
#
#   docker build -t spane-server .
#   docker run --rm -p 3000:3000 -e REDIS_URL=redis://redis:6379 -e DATABASE_URL=postgres://… spane-server
#
# The build stage installs the workspace with the pinned pnpm, builds the server and the
# packages it uses, and packs them (scripts/pack-server.sh). The runtime stage installs only
# those tarballs for production (scripts/install-server.sh: npm install --omit=dev), runs as
# the unprivileged `node` user and listens on 0.0.0.0:3000. scripts/check-deploy.sh runs the
# same pack and install steps without Docker (npm test runs it).
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-slim AS build
ENV CI=1 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
WORKDIR /src
COPY . .
# scripts/pnpm.sh runs the pnpm of package.json's packageManager through corepack.
RUN bash scripts/setup.sh \
  && bash scripts/pnpm.sh --filter-prod '@spane-apps/server...' -r run build \
  && bash scripts/pack-server.sh /packs

FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY scripts/install-server.sh /tmp/install-server.sh
COPY --from=build /packs /tmp/packs
RUN bash /tmp/install-server.sh /tmp/packs /app \
  && rm -rf /tmp/packs /tmp/install-server.sh \
  && npm cache clean --force
# The files stay root's: the server only reads them. .spane/ is the node user's: without
# SPANE_MASTER_KEY, a server with PostgreSQL creates its master key file there (mount a
# volume on /app/.spane to keep it, as compose.yaml does).
RUN install -d -m 700 -o node -g node /app/.spane
USER node
EXPOSE 3000
# /health/ready: Redis and the store answer and this process's workers run.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1 and handles SIGTERM (graceful shutdown, at most 30 s).
CMD ["node", "node_modules/@spane-apps/server/dist/main.js"]
