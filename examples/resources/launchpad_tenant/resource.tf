resource "launchpad_tenant" "alice" {
  user_id     = "alice01"
  product     = "hermes"
  region      = "iad"
  plan        = launchpad_plan.pro.name
  image       = "registry.fly.io/hermes-agent:1.4.2"
  subkey_hash = launchpad_subkey.alice.hash

  # Bump to rebuild the machine from a clean image, keeping the volume.
  rebuild_generation = 0

  timeouts = {
    create = "20m"
  }
}

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
