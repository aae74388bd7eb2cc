resource "launchpad_tenant" "alice" {
  user_id     = "alice01"
  product     = "hermes"
  region      = "iad"
  plan        = launchpad_plan.pro.name
  image       = "registry.fly.io/hermes-agent:1.4.2"
  subkey_hash = launchpad_subkey.alice.hash

  # Bump to rebuild the machine from a clean image, keeping the volume.
  rebuild_generation = 0
  # Bump to reset from a clean image AND an empty /workspace (nothing planted there
  # survives): the old volume is kept as a snapshot for workspace_retention_days.
  reset_generation = 0

  # alice's /workspace holds her agent's memory and her model-vendor sign-ins: a plan that
  # would destroy or replace this tenant (a region change, a removed block) fails instead,
  # and a deliberate destroy keeps a snapshot of it for a week (restore it with restore_from).
  deletion_protection      = true
  workspace_retention_days = 7

  timeouts = {
    create = "20m"
  }

  # Terraform's own guard, for the same reason: `terraform destroy` and replacements stop at
  # plan time. Remove it (and set deletion_protection = false) to destroy on purpose.
  lifecycle {
    prevent_destroy = true
  }
}

# alice's tenant again after a destroy: the workspace the destroy kept (its warning and her
# tenant.destroyed audit event name the app and the snapshot) is restored into the kept app.
# resource "launchpad_tenant" "alice" {
#   user_id      = "alice01"
#   product      = "hermes"
#   region       = "iad"
#   plan         = launchpad_plan.pro.name
#   image        = "registry.fly.io/hermes-agent:1.4.2"
#   subkey_hash  = launchpad_subkey.alice.hash
#   restore_from = { app_name = "lp-hermes-alice01-t2k9qv", snapshot_id = "vs_2x7kq9m4p1r8t5w3" }
# }

# A tenant whose user brings their own model key. The key is write-only: it is sealed into
# the Launchpad store and never written to the plan or state.
variable "bob_model_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "launchpad_tenant" "bob" {
  user_id             = "bob02"
  product             = "hermes"
  region              = "ams"
  plan                = launchpad_plan.pro.name
  image               = "registry.fly.io/hermes-agent:1.4.2"
  byok_key_wo         = var.bob_model_key
  byok_key_wo_version = 1
}
