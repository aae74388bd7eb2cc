data "launchpad_plan" "pro" {
  name = "pro"
}

output "pro_spend_limit" {
  value = data.launchpad_plan.pro.monthly_spend_limit_usd
}
