# shellcheck shell=bash
# Sourced by the shell entry points (scripts/*.sh, .ci/run): puts the Node.js pinned as the devDependency `node`
# (node_modules/.bin/node, installed by `npm ci`) first on PATH, so every `node` and every `#!/usr/bin/env node`
# tool after this runs on it even where the system Node is older, then checks the major version.
GRIDSHIFT_NODE_MAJOR=24

# gridshift_use_pinned_node REPO_ROOT: returns 1 with one clear line unless `node` is now Node >= 24.
gridshift_use_pinned_node() {
  export PATH="$1/node_modules/.bin:$PATH"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if ((major < GRIDSHIFT_NODE_MAJOR)); then
    echo "gridshift needs Node.js >= $GRIDSHIFT_NODE_MAJOR; found $(node --version 2>/dev/null || echo none) (npm ci installs it as node_modules/.bin/node)" >&2
    return 1
  fi
}
