#!/usr/bin/env bash
# npm test: start the local services when they are not running, build, type-check and lint, then run every spec
# (unit and integration). Arguments are passed to vitest (for example `npm test -- specs/directive`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh up
npm run --silent build
npm run --silent typecheck
npm run --silent lint
npx vitest run "$@"
