# Flotilla in a container. The runtime stage needs no base image: it is the binary, the site
# and the C libraries they link, staged by scripts/image-root.sh, run as uid 10001.
#   Where a registry is reachable:                 docker build -t flotilla .
#   From what `make build` made, with no registry:  make image   (builds only the runtime stage)
# Run against the host's engine (the socket's group must be the container's group):
#   docker run -p 3000:3000 -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" -v flotilla-data:/data flotilla
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm brotli binutils && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV FLOTILLA_TOOLS=/tools CARGO_TARGET_DIR=/src/target
RUN scripts/setup.sh build && scripts/build-site.sh && scripts/image-root.sh /src/target /image-root

FROM scratch AS runtime
COPY --from=build /image-root/ /
# COPY leaves files root's; the data directory is the console's.
COPY --from=build --chown=10001:10001 /image-root-data/ /data/
USER 10001:10001
ENV FLOTILLA_ADDR=0.0.0.0:3000 LEPTOS_SITE_ROOT=/srv/flotilla/site FLOTILLA_DATA_DIR=/data
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/flotilla", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/flotilla"]
