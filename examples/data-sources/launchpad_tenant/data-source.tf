data "launchpad_tenant" "alice" {
  user_id = "alice01"
  product = "hermes"
}

output "alice_ipv4" {
  value = data.launchpad_tenant.alice.ipv4
}
