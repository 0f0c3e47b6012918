#!/usr/bin/env bash
# Installs the MCP programs the tests talk to, none of them written here, and prints their folder
# as the last line of stdout (the tests read it from BATON_TEST_MCP_DIR):
#   - @modelcontextprotocol/server-everything, the MCP project's reference server (stdio and
#     streamable HTTP), for Baton as an MCP client;
#   - @modelcontextprotocol/sdk, the official TypeScript SDK, whose client drives Baton's /mcp.
# Versions are pinned in .ci/mcp/package-lock.json. Idempotent: npm ci runs only when the lock
# changed since the last install. Needs Node 20+ and the npm registry.
set -euo pipefail
DIR="$(cd "$(dirname "$0")/mcp" && pwd)"
say() { echo "mcp.sh: $*" >&2; }
command -v npm >/dev/null || { say "npm is missing: install Node.js 20 or newer"; exit 1; }
STAMP="$DIR/node_modules/.baton-lock"
if [ ! -f "$STAMP" ] || ! cmp -s "$DIR/package-lock.json" "$STAMP"; then
  say "installing the MCP reference server and SDK into $DIR/node_modules"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$DIR/package-lock.json" "$STAMP"
fi
echo "$DIR"
