resource "launchpad_subkey" "alice" {
  user_id = "alice01"
  plan    = launchpad_plan.pro.name

  # Bump to mint a new key, deliver it to alice's tenants, then revoke the old one.
  rotation_generation = 0
}
