#!/usr/bin/env bash
# The full test suite on a fresh machine: installs the pinned Python tools into
# .venv (git-ignored), then runs every Rust test against them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="$root/.venv"
req="$root/scripts/requirements-test.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$stamp"; then
  echo "==> installing pinned test tools into .venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
fi

# checkov pins its own cfn-lint: a second venv.
checkov_venv="$root/.venv-checkov"
checkov_req="$root/scripts/requirements-checkov.txt"
if [ ! -x "$checkov_venv/bin/python" ] || ! cmp -s "$checkov_req" "$checkov_venv/.requirements"; then
  echo "==> installing checkov into .venv-checkov"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check -r "$checkov_req"
  cp "$checkov_req" "$checkov_venv/.requirements"
fi

# A real registry for the image-digest tests: Debian's docker-registry (the
# CNCF distribution server), skopeo to push without a Docker engine, and
# htpasswd for its basic auth.
missing_pkgs=()
command -v docker-registry >/dev/null || missing_pkgs+=(docker-registry)
command -v skopeo >/dev/null || missing_pkgs+=(skopeo)
command -v htpasswd >/dev/null || missing_pkgs+=(apache2-utils)
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  echo "==> installing ${missing_pkgs[*]} (Debian packages)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
fi

oracle=$(ls "$venv"/lib/python3*/site-packages/compose/docker-compose)
export DOCKER_ECS_COMPOSE_ORACLE="$oracle"
export DOCKER_ECS_CFN_LINT="$venv/bin/cfn-lint"
export DOCKER_ECS_MOTO_SERVER="$venv/bin/moto_server"
export DOCKER_ECS_CHECKOV="$checkov_venv/bin/checkov"

# Suites over third-party inputs run only when they are given; say so
# aloud when they are not, so that nobody mistakes a skip for a pass.
missing=()
[ -n "${DOCKER_ECS_CORPUS:-}" ] ||
  missing+=("DOCKER_ECS_CORPUS=<folder of Compose apps> (config vs docker compose, convert + cfn-lint + checkov, schema check of each app)")
[ -n "${DOCKER_ECS_COMPOSE_SCHEMA:-}" ] ||
  missing+=("DOCKER_ECS_COMPOSE_SCHEMA=<compose-spec.json> (cross-check of the typed model against the official schema)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> external suites NOT run; to enable them set: $(IFS=';'; echo "${missing[*]}")"
else
  echo "==> external suites enabled: corpus $DOCKER_ECS_CORPUS, schema $DOCKER_ECS_COMPOSE_SCHEMA"
fi
# A persistent target dir outside the clone keeps CI rebuilds incremental;
# one per checkout path, because Cargo does not key a path package's
# artifacts by its path: two clones sharing one folder would each test the
# other's build when its files look older.
checkout_key="$(printf '%s' "$root" | sha256sum | cut -c1-12)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/docker-ecs/target-$checkout_key}"

echo "==> cargo test"
cargo test --workspace --locked "$@"
