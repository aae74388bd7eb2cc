data "launchpad_tenants" "all" {}

# A fleet check: no two tenants may share a dedicated IPv4.
check "no_shared_ipv4" {
  assert {
    condition     = length(distinct([for t in data.launchpad_tenants.all.tenants : t.ipv4])) == length(data.launchpad_tenants.all.tenants)
    error_message = "Two tenants share an IPv4 address."
  }
}
