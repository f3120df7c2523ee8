# Flotilla in a container: the same build as `make build`, then a slim runtime image.
# Build where a registry is reachable:  docker build -t flotilla .
# Run against the host's engine:
#   docker run -p 3000:3000 -v /var/run/docker.sock:/var/run/docker.sock -v flotilla-data:/data flotilla
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV FLOTILLA_TOOLS=/tools CARGO_TARGET_DIR=/src/target
RUN scripts/setup.sh build && scripts/build-site.sh

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/flotilla /usr/local/bin/flotilla
COPY --from=build /src/target/site /srv/flotilla/site
ENV FLOTILLA_ADDR=0.0.0.0:3000 LEPTOS_SITE_ROOT=/srv/flotilla/site FLOTILLA_DATA_DIR=/data RUST_LOG=info
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/flotilla"]
