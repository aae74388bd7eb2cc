# A tenant is imported by its Fly app name.
terraform import launchpad_tenant.alice lp-hermes-alice01-t2k9qv
