# A small fleet: two plans and a few tenants, each with its own OpenRouter sub-key.
# Every provider setting comes from the environment (see run.sh, which starts the sandbox).
provider "launchpad" {}

variable "tenant_count" {
  description = "How many tenants: the first three are alice, bob and carol, the others user004, user005, …"
  type        = number
  default     = 3
  validation {
    condition     = var.tenant_count >= 0 && var.tenant_count <= 1000 && floor(var.tenant_count) == var.tenant_count
    error_message = "tenant_count must be a whole number from 0 to 1000."
  }
}

variable "plans" {
  description = "Plan of each user, starter or pro; users left out are on starter. Change one to see an in-place resize."
  type        = map(string)
  default = {
    alice = "starter"
    bob   = "pro"
    carol = "starter"
  }
  validation {
    condition     = alltrue([for p in values(var.plans) : contains(["starter", "pro"], p)])
    error_message = "Each plan must be \"starter\" or \"pro\"."
  }
}

variable "workspace_retention_days" {
  description = "Days a destroyed tenant's /workspace is kept as a Fly snapshot (0: deleted with it). Set it in production."
  type        = number
  default     = 0
}

variable "image" {
  description = "Agent image of every tenant."
  type        = string
  default     = "registry.fly.io/hermes-agent:1.4.2"
}

variable "region" {
  type    = string
  default = "iad"
}

locals {
  named = { alice = "alice01", bob = "bob02", carol = "carol03" }
  # Resource key => user id: alice, bob and carol first, then user004, user005, …
  users = {
    for i in range(var.tenant_count) :
    (i < 3 ? keys(local.named)[i] : format("user%03d", i + 1)) => (i < 3 ? values(local.named)[i] : format("user%03d", i + 1))
  }
  # Referencing the plans through their resources orders creation and destruction.
  plan_names = {
    starter = launchpad_plan.starter.name
    pro     = launchpad_plan.pro.name
  }
}

resource "launchpad_plan" "starter" {
  name                    = "starter"
  display_name            = "Starter"
  stripe_price_id         = "price_StarterMonthly"
  monthly_spend_limit_usd = 10
  machine_hours_per_cycle = 100
  volume_size_gb          = 5
  guest = {
    cpu_kind  = "shared"
    cpus      = 1
    memory_mb = 1024
  }
}

resource "launchpad_plan" "pro" {
  name                    = "pro"
  display_name            = "Pro"
  stripe_price_id         = "price_ProMonthly"
  monthly_spend_limit_usd = 50
  machine_hours_per_cycle = 400
  volume_size_gb          = 20
  guest = {
    cpu_kind  = "shared"
    cpus      = 2
    memory_mb = 4096
  }
}

resource "launchpad_subkey" "user" {
  for_each = local.users
  user_id  = each.value
  plan     = local.plan_names[lookup(var.plans, each.key, "starter")]
}

resource "launchpad_tenant" "user" {
  for_each    = local.users
  user_id     = each.value
  product     = "hermes"
  region      = var.region
  plan        = local.plan_names[lookup(var.plans, each.key, "starter")]
  image       = var.image
  subkey_hash = launchpad_subkey.user[each.key].hash

  workspace_retention_days = var.workspace_retention_days
}

output "tenants" {
  description = "App name, IPv4 and key source of each tenant."
  value = {
    for k, t in launchpad_tenant.user : k => {
      app        = t.app_name
      ipv4       = t.ipv4
      key_source = t.key_source
      cpus       = t.machine_cpus
      volume_gb  = t.volume_size_gb
    }
  }
}
