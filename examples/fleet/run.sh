#!/usr/bin/env bash
# Run OpenTofu (or, with LAUNCHPAD_TOFU=terraform, HashiCorp Terraform) on this fleet against
# the local sandbox, with the provider built from this repository. Everything the run keeps (simulator state, Launchpad store, tofu state) lives in
# examples/fleet/.sandbox/, so successive runs see the same fleet:
#
#   examples/fleet/run.sh apply -auto-approve
#   examples/fleet/run.sh plan -var 'plans={alice="starter",bob="pro",carol="pro"}'
#   examples/fleet/run.sh destroy -auto-approve
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$here/.sandbox"
mkdir -p "$work"

make -C "$root" -s build tools >&2
bin="$root/bin"

# A CLI config that resolves the provider to the binary just built, downloading nothing.
cat > "$work/tofurc" <<CFG
provider_installation {
  dev_overrides {
    "registry.opentofu.org/clawdrun/launchpad" = "$bin"
    "registry.terraform.io/clawdrun/launchpad" = "$bin"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/tofurc"

# The sandbox keeps its objects in a state file between runs; fixed sandbox-only credentials
# let the saved state and the provider agree across restarts.
"$bin/terraform-provider-launchpad" sandbox \
  --state-file "$work/sandbox.json" \
  --token fleet-sandbox-fly-token \
  --management-key sk-or-v1-fleet-sandbox-management-key \
  >"$work/sandbox.env" 2>"$work/sandbox.log" &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null; wait "$sandbox" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ "$(grep -c '=' "$work/sandbox.env" 2>/dev/null)" -ge 4 ] && break
  kill -0 "$sandbox" 2>/dev/null || { cat "$work/sandbox.log" >&2; exit 1; }
  sleep 0.1
done
set -a
# shellcheck disable=SC1091
. "$work/sandbox.env"
set +a
export FLY_ORG=fleet-demo
export LAUNCHPAD_STORE="sqlite://$work/launchpad.db"
export PLATFORM_SECRET=fleet-sandbox-platform-secret-not-for-production

cd "$here"
"${LAUNCHPAD_TOFU:-$bin/tofu}" "$@" -state="$work/terraform.tfstate"
