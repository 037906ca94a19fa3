#!/usr/bin/env bash
# npm test: start the local services when they are not running, build, then run every spec (unit and integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh up
npm run --silent build
npx vitest run "$@"
