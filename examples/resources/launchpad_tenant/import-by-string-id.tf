import {
  to = launchpad_tenant.alice
  id = "lp-hermes-alice01-t2k9qv"
}
