#!/usr/bin/env bash
# Builds the Rust Runnable fixture(s) of specs/fixtures/rust/ with Debian's Rust toolchain and Suborbital's published
# `suborbital` crate (crates.io), and writes next to each crate, for committing:
#
#   specs/fixtures/rust/<name>.wasm         the Runnable (wasm32-wasi, release)
#   specs/fixtures/rust/<name>.build-hash   what it was built from: the sha256 of the crate's sources (the spec
#                                           specs/integration/rust-runnable.integration.spec.ts recomputes it and fails
#                                           when the committed build is older than its source), the wasm's sha256,
#                                           and the toolchain
#
# Usage: bash scripts/build-rust-fixture.sh [name...]      (default: every crate under specs/fixtures/rust/)
#
# CI does not run this: the .wasm is committed. Run it after editing a crate, then commit the crate, its .wasm and
# its .build-hash together.
#
# Toolchain: Debian bookworm's rustc 1.63 + cargo 0.66 + libstd-rust-dev-wasm32 (wasm32-wasi and
# wasm32-unknown-unknown std), installed with apt-get when missing, always called by their /usr/bin paths so that a
# rustup proxy in ~/.cargo/bin is never used. The crates are pinned in each Cargo.lock to versions that build with
# rustc 1.63 (see docs/guides/rust-runnables.md).
#
# Registry access: cargo 0.66 fetches the crates.io index with git from github.com by default; where only the
# registries are reachable that fails, so the script uses the sparse HTTP index (index.crates.io), an unstable
# feature in cargo 0.66 (`-Z sparse-registry`, enabled by cargo's channel override). Cargo >= 1.68 uses it by default.
#
# State (cargo's registry cache, the target folder) lives in ${E2RX_CACHE_DIR:-$HOME/.cache/e2rx}/rust, outside the
# work tree.
set -euo pipefail

readonly ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly FIXTURES=$ROOT/specs/fixtures/rust
readonly TARGET=wasm32-wasi
readonly RUSTC_BIN=/usr/bin/rustc
readonly CARGO=/usr/bin/cargo
CACHE_DIR=${E2RX_CACHE_DIR:-$HOME/.cache/e2rx}/rust
readonly CACHE_DIR

say() { printf 'build-rust-fixture: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

as_root() {
  if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# Installs Debian's rustc, cargo and the wasm32 std when one of them is missing.
ensure_toolchain() {
  if [[ -x $RUSTC_BIN && -x $CARGO && -d /usr/lib/rustlib/$TARGET ]]; then return; fi
  say "installing Debian's rustc, cargo and libstd-rust-dev-wasm32"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rustc cargo libstd-rust-dev-wasm32 >/dev/null
  [[ -x $RUSTC_BIN && -x $CARGO ]] || die "apt-get did not install $RUSTC and $CARGO"
  [[ -d /usr/lib/rustlib/$TARGET ]] || die "no $TARGET standard library in /usr/lib/rustlib (package libstd-rust-dev-wasm32)"
}

# The sha256 of a crate's sources: for each of Cargo.toml, Cargo.lock and src/**/*.rs, in byte order of their paths
# relative to the crate, the path, a NUL, the content, a NUL. The spec computes the same.
source_hash() {
  local dir=$1 file
  (
    cd "$dir"
    {
      printf '%s\n' Cargo.toml Cargo.lock
      find src -type f -name '*.rs'
    } | LC_ALL=C sort | while IFS= read -r file; do
      printf '%s\0' "$file"
      cat "$file"
      printf '\0'
    done | sha256sum | cut -d' ' -f1
  )
}

# cargo with Debian's binaries, our CARGO_HOME and the sparse index when cargo needs to be told.
run_cargo() {
  local minor
  minor=$("$CARGO" --version | sed -E 's/^cargo 1\.([0-9]+).*/\1/')
  if [[ $minor =~ ^[0-9]+$ ]] && ((minor < 68)); then
    __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly "$CARGO" -Z sparse-registry "$@"
  else
    "$CARGO" "$@"
  fi
}

build_one() {
  local name=$1
  local dir=$FIXTURES/$name
  [[ -f $dir/Cargo.toml ]] || die "no crate at $dir"
  [[ -f $dir/Cargo.lock ]] || die "$dir/Cargo.lock is missing: the versions that build with rustc 1.63 are pinned there"
  local crate
  crate=$(sed -nE 's/^name = "([^"]+)"/\1/p' "$dir/Cargo.toml" | head -1)
  local artifact=$CACHE_DIR/target/$TARGET/release/${crate//-/_}.wasm

  say "building $name ($($RUSTC_BIN --version), $TARGET)"
  (
    cd "$dir"
    export CARGO_HOME=$CACHE_DIR/cargo-home CARGO_TARGET_DIR=$CACHE_DIR/target RUSTC=$RUSTC_BIN
    run_cargo build --release --locked --target "$TARGET"
  )
  [[ -f $artifact ]] || die "cargo did not produce $artifact"

  cp "$artifact" "$FIXTURES/$name.wasm"
  local suborbital
  suborbital=$(awk '/^name = "suborbital"$/ { getline; sub(/^version = "/, ""); sub(/"$/, ""); print }' "$dir/Cargo.lock")
  {
    printf 'sources-sha256 %s\n' "$(source_hash "$dir")"
    printf 'wasm-sha256 %s\n' "$(sha256sum "$FIXTURES/$name.wasm" | cut -d' ' -f1)"
    printf 'rustc %s\n' "$($RUSTC_BIN --version | cut -d' ' -f2)"
    printf 'target %s\n' "$TARGET"
    printf 'suborbital %s\n' "$suborbital"
  } >"$FIXTURES/$name.build-hash"
  say "wrote specs/fixtures/rust/$name.wasm ($(wc -c <"$FIXTURES/$name.wasm") bytes) and $name.build-hash"
}

main() {
  ensure_toolchain
  mkdir -p "$CACHE_DIR"
  local names=("$@")
  if ((${#names[@]} == 0)); then
    local toml
    for toml in "$FIXTURES"/*/Cargo.toml; do names+=("$(basename "$(dirname "$toml")")"); done
  fi
  ((${#names[@]} > 0)) || die "no crate under $FIXTURES"
  local name
  for name in "${names[@]}"; do build_one "$name"; done
}

main "$@"
