-- The resets applied to a tenant (launchpad.Tenant.ResetGeneration): each gave it a
-- new empty volume and kept the old one as a snapshot. 0 for every existing tenant. The
-- user's reset generation and leak-response marks live in control_doc and mfa_doc (JSON),
-- which need no migration.
ALTER TABLE tenants ADD COLUMN reset_generation INTEGER NOT NULL DEFAULT 0;
