#!/usr/bin/env bash
# Builds a stand-in image for every runtime of the catalog (config/runtimes.json) with `docker import`,
# from files already in this repository, so the `docker` task driver can run where no registry is
# reachable (CI, air-gapped machines):
#
#   - the Node binary of the `node` devDependency and the shared libraries it links (from `ldd`);
#   - local/workspace-stand-in.ts bundled to one plain JS file by esbuild (a devDependency).
#
# The root filesystem is imported once and tagged `<registry>/workspace-template-<runtime>:<tag>` for
# each runtime. Its CMD runs the stand-in with --listen-all-interfaces, which a published port needs
# (under the `process` driver it keeps to loopback). An image already built from the same inputs is kept (label
# `workspace-provisioner.stand-in-inputs`), so a second run takes about a second.
#
# Usage: scripts/build-stand-in-images.sh   (needs `docker` answering; honours DOCKER_HOST)
set -euo pipefail
cd "$(dirname "$0")/.."

node_bin=node_modules/node/bin/node
esbuild=node_modules/.bin/esbuild
[[ -x $node_bin ]] || { echo "build-stand-in-images: $node_bin is missing; run npm ci first" >&2; exit 1; }

# registry, tag and runtime names, one per line, read by the same Node the image will carry.
mapfile -t catalog < <("$node_bin" -e '
  const catalog = JSON.parse(require("node:fs").readFileSync("config/runtimes.json", "utf8"));
  console.log(catalog.registry); console.log(catalog.tag);
  for (const name of Object.keys(catalog.runtimes)) console.log(name);')
registry=${catalog[0]}
tag=${catalog[1]}
runtimes=("${catalog[@]:2}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The bundle first: it is small and its hash decides whether anything has to be rebuilt.
"$esbuild" local/workspace-stand-in.ts --bundle --platform=node --format=esm --log-level=warning \
  --outfile="$work/workspace-stand-in.mjs"
inputs=$( { sha256sum "$work/workspace-stand-in.mjs" "$0" | cut -d' ' -f1; "$node_bin" --version; uname -m; } | sha256sum | cut -c1-16)

up_to_date=true
for runtime in "${runtimes[@]}"; do
  image="$registry/workspace-template-$runtime:$tag"
  label=$(docker image inspect --format '{{ index .Config.Labels "workspace-provisioner.stand-in-inputs" }}' "$image" 2>/dev/null || true)
  [[ $label == "$inputs" ]] || up_to_date=false
done
if $up_to_date; then
  echo "build-stand-in-images: ${#runtimes[@]} images already built from these inputs ($inputs)"
  exit 0
fi

root=$work/root
mkdir -p "$root/app" "$root/usr/local/bin" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$work/workspace-stand-in.mjs" "$root/app/workspace-stand-in.mjs"
cp "$node_bin" "$root/usr/local/bin/node"
# Every library the binary links, at the path the loader looks for it (symlinks resolved).
while read -r library; do
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
done < <(ldd "$node_bin" | grep -o '/[^ ]*')

reference="$registry/workspace-template-${runtimes[0]}:$tag"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "LABEL workspace-provisioner.stand-in-inputs=$inputs" \
  --change 'EXPOSE 8000' \
  --change 'CMD ["/usr/local/bin/node", "/app/workspace-stand-in.mjs", "--listen-all-interfaces"]' \
  - "$reference" >/dev/null
for runtime in "${runtimes[@]:1}"; do
  docker tag "$reference" "$registry/workspace-template-$runtime:$tag"
done
echo "build-stand-in-images: built ${runtimes[*]/#/workspace-template-} ($registry, :$tag, inputs $inputs)"
