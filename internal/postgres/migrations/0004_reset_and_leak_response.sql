-- Resetting a tenant to an empty volume, and the response to a leaked platform secret:
-- * the reset generation the control plane renders into a tenant's workspace
--   (launchpad.TenantControl.ResetGeneration) and the one a tenant was last reset to
--   (launchpad.Tenant.ResetGeneration);
-- * the platform key id under which rotate-secret --rotate-keys started its leak response for
--   a user (TenantControl.LeakResponseKeyID), and the TOTP re-enrolment mark it sets
--   (MFA.ReenrolRequired).
-- Existing rows read as nothing asked yet.
ALTER TABLE users ADD COLUMN control_reset_generation bigint NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN control_leak_response_key_id text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN mfa_reenrol_required boolean NOT NULL DEFAULT false;
ALTER TABLE tenants ADD COLUMN reset_generation bigint NOT NULL DEFAULT 0;
