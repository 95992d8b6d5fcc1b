# llmbench in a container: the one compiled binary on a small glibc base.
#   docker build -t llmbench .
#   docker run --rm --network host llmbench run --endpoint http://localhost:8000/generate
# The binary links only glibc (libc, libm, libpthread, libdl: `ldd dist/llmbench`), so it needs a
# glibc base, not musl (Alpine); distroless/base adds CA certificates for https endpoints, runs as
# a non-root user, and has no shell.
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION} AS build
WORKDIR /src
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
RUN bun install --production
COPY src ./src
COPY scripts/build.ts ./scripts/build.ts
COPY scripts/lib ./scripts/lib
RUN bun scripts/build.ts

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /src/dist/llmbench /usr/local/bin/llmbench
# result files go here (a volume on Kubernetes; -v "$PWD:/results" with docker run)
WORKDIR /results
ENTRYPOINT ["/usr/local/bin/llmbench"]
CMD ["--help"]
