#!/usr/bin/env bash
# npm test: start the local services when they are not running, build, type-check, lint and check the import layers
# (no cycles; .dependency-cruiser.cjs), then run every spec (unit and integration), measuring coverage against the
# floor in vitest.config.ts. Arguments are passed to vitest (for example `npm test -- specs/directive`).
# Each step says what it does and how long it took, on stderr; the services' logs are in
# ${E2RX_CACHE_DIR:-$HOME/.cache/e2rx}/log (see docs/guides/local-services.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# step <what> <command...>: runs the command, saying what it is before and how long it took after.
step() {
  local what=$1 started=$SECONDS
  shift
  printf 'npm test: %s\n' "$what" >&2
  "$@"
  printf 'npm test: %s: done in %d s\n' "$what" $((SECONDS - started)) >&2
}

began=$SECONDS
step "local services (scripts/services.sh up; logs in ${E2RX_CACHE_DIR:-$HOME/.cache/e2rx}/log)" bash scripts/services.sh up
step 'build (tsc -p tsconfig.build.json)' npm run --silent build
step 'type-check (tsc --noEmit)' npm run --silent typecheck
step 'lint (eslint)' npm run --silent lint
step 'import layers and cycles (dependency-cruiser, .dependency-cruiser.cjs)' npm run --silent deps
step 'source files of at most 400 lines (scripts/file-sizes.sh)' bash scripts/file-sizes.sh
# The whole suite also measures coverage (V8, in the same run: no spec runs twice) and fails below the floor set in
# vitest.config.ts; a run of some specs only (`npm test -- specs/directive`) does not, its coverage would be partial.
if [ $# -eq 0 ]; then
  step 'specs with coverage (vitest run --coverage; summary in coverage/coverage-summary.json)' npx vitest run --coverage
else
  step 'specs (vitest run)' npx vitest run "$@"
fi
printf 'npm test: passed in %d s\n' $((SECONDS - began)) >&2
