# One image recipe for the three services, chosen by build arguments. Build
# from the repository root (the workspaces and the lockfile live there):
#
#   docker build --build-arg SERVICE=maths --build-arg PORT=5001 -t friendly-calculator/maths .
#
# docker-compose.yml passes SERVICE and PORT for each service. PORT is the
# port the service listens on by default: the image exposes it and its
# health check asks it.
ARG NODE_IMAGE=node:26-bookworm-slim

# --- build: install what compiling needs, compile TypeScript ---------------
FROM ${NODE_IMAGE} AS build
ARG SERVICE
ARG PORT
RUN case "${SERVICE}" in awesome-app | greetings | maths) ;; \
      *) echo "build arg SERVICE must be awesome-app, greetings or maths (got '${SERVICE}')" >&2; exit 1 ;; esac \
 && case "${PORT}" in '' | *[!0-9]*) echo "build arg PORT must be the service's port (got '${PORT}')" >&2; exit 1 ;; esac
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY common/package.json common/
COPY ${SERVICE}/package.json ${SERVICE}/
# Only this service and the shared package (whose dev dependencies bring
# TypeScript); --ignore-scripts: no browser downloads or other install scripts.
RUN npm ci --ignore-scripts --no-audit --no-fund -w @friendly-calculator/common -w ${SERVICE}
COPY common common
COPY ${SERVICE} ${SERVICE}
# Compile, then gather what runs in /out: the JavaScript without type
# declarations or source maps, the page's views and static files. Test helpers
# (common/dist/testing) and benchmark entry points (dist/bench) stay behind;
# common/public holds the stylesheet both pages share.
RUN npx tsc -b ${SERVICE} \
 && mkdir -p /out/common /out/${SERVICE} \
 && cp -r common/dist common/public common/swagger-ui /out/common/ && cp -r ${SERVICE}/dist /out/${SERVICE}/ \
 && rm -rf /out/common/dist/testing /out/${SERVICE}/dist/bench \
 && find /out \( -name '*.d.ts' -o -name '*.map' -o -name '*.tsbuildinfo' \) -delete \
 && for dir in views public; do \
      if [ -d "${SERVICE}/$dir" ]; then cp -r "${SERVICE}/$dir" "/out/${SERVICE}/"; fi; \
    done

# --- run: production dependencies and compiled JavaScript only ------------
FROM ${NODE_IMAGE}
ARG SERVICE
ARG PORT
LABEL org.opencontainers.image.title="friendly-calculator ${SERVICE}"
ENV NODE_ENV=production PORT=${PORT}
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY ${SERVICE}/package.json ${SERVICE}/
RUN npm ci --ignore-scripts --no-audit --no-fund --omit=dev \
      -w @friendly-calculator/common -w ${SERVICE} \
 && npm cache clean --force \
 && ln -s "${SERVICE}/dist/server.js" server.js
COPY --from=build /out/ ./
USER node
EXPOSE ${PORT}
# Alive, from the process alone: never another service, Redis or StatsD, so a
# dependency that is away never marks this container unhealthy (Swarm would
# replace it; compose's depends_on would wait). /readyz differs only while draining.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
