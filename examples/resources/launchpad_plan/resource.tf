resource "launchpad_plan" "pro" {
  name                    = "pro"
  display_name            = "Pro"
  stripe_price_id         = "price_1PxProMonthly"
  monthly_spend_limit_usd = 50
  machine_hours_per_cycle = 300
  volume_size_gb          = 10

  guest = {
    cpu_kind  = "shared"
    cpus      = 2
    memory_mb = 2048
  }
}
