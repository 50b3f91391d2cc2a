#!/bin/sh
# An executable berth-runtime for callers that need one absolute path to a runtime binary
# (podman --runtime, dockerd --add-runtime): runs the compiled CLI beside this script's
# checkout with the node that is on PATH, or BERTH_NODE when set.
here=$(dirname "$(readlink -f "$0")")
exec "${BERTH_NODE:-node}" "$here/../dist/src/runtime/cli/main.js" "$@"
