# Shared helpers for scripts/run and scripts/test.

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if [[ -z "$apt_updated" ]]; then
    as_root apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

ensure_rust_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "installing the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown >&2
  fi
}

# Every later cargo build compiles the workspace's own crates through clippy-driver with
# `-D warnings`, so building the tests and the bundle is also the lint: a separate `cargo clippy`
# checks every dependency a second time, in a mode no test can use (3.5 minutes of a cold run).
# RUSTC_WORKSPACE_WRAPPER and CLIPPY_ARGS are how `cargo clippy` itself drives the driver; a probe
# proves a lint still fails the build, so a toolchain that stopped reading them cannot pass quietly.
lint_while_compiling() {
  local probe status=0
  RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
  CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
  export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
  probe=$(mktemp -d)
  printf 'pub fn probe(v: &Vec<u8>) -> usize {\n    v.len()\n}\n' >"$probe/lib.rs"
  "$RUSTC_WORKSPACE_WRAPPER" rustc --crate-type lib --edition 2024 --emit metadata \
    --out-dir "$probe" "$probe/lib.rs" >"$probe/out" 2>&1 || status=$?
  if [[ $status -eq 0 ]] || ! grep -q 'implied by `-D warnings`' "$probe/out"; then
    echo "clippy-driver let a lint through with -D warnings:" >&2
    cat "$probe/out" >&2
    rm -rf "$probe"
    return 1
  fi
  rm -rf "$probe"
}

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    step "installing Debian's chromium"
    apt_install chromium
  fi
}

# The directory-at-scale browser test seeds 100,000 identities with set-based SQL through the
# sqlite3 shell.
ensure_sqlite3_shell() {
  if ! command -v sqlite3 >/dev/null 2>&1; then
    step "installing the sqlite3 shell"
    apt_install sqlite3
  fi
}

ensure_node_packages() {
  if [[ ! -x end2end/node_modules/.bin/playwright ]] || [[ end2end/package.json -nt end2end/node_modules/.package-lock.json ]]; then
    step "installing the browser test tooling (Playwright, no browser download)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
  fi
}

# The SDK: the TypeScript generator and compiler (sdk/typescript), and the OpenAPI 3.1 validator
# of the contract check (openapi-spec-validator, PyPI).
ensure_sdk_packages() {
  if [[ ! -x sdk/typescript/node_modules/.bin/openapi-typescript ]] || [[ sdk/typescript/package.json -nt sdk/typescript/node_modules/.package-lock.json ]]; then
    step "installing the SDK tooling (openapi-typescript, openapi-fetch, TypeScript)"
    (cd sdk/typescript && npm ci --no-audit --no-fund >&2)
  fi
}

ensure_openapi_validator() {
  if ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
    step "installing openapi-spec-validator (the OpenAPI 3.1 validator)"
    python3 -m pip install --quiet --user 'openapi-spec-validator==0.9.0' >&2 \
      || python3 -m pip install --quiet --user --break-system-packages 'openapi-spec-validator==0.9.0' >&2
  fi
}

# The generated-request contract test's request generator (Schemathesis, PyPI).
ensure_schemathesis() {
  if ! python3 -c 'import schemathesis' >/dev/null 2>&1; then
    step "installing Schemathesis (the generated-request contract test)"
    python3 -m pip install --quiet --user 'schemathesis==4.32.5' >&2 \
      || python3 -m pip install --quiet --user --break-system-packages 'schemathesis==4.32.5' >&2
  fi
}

# The mail tests deliver to a real SMTP server on loopback: Debian's python3-aiosmtpd, run by
# Debian's own interpreter (/usr/bin/python3) with server/tests/smtp/sink.py.
ensure_smtp_test_server() {
  if ! /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    step "installing python3-aiosmtpd (the SMTP server of the mail tests)"
    apt_install python3-aiosmtpd
  fi
}
