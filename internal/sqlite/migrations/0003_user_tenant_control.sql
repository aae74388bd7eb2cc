-- What the control plane has asked of a user's tenant beyond its plan (launchpad.TenantControl):
-- the sub-key rotation and rebuild generations it renders into the tenant's workspace, and
-- the time the tenant was suspended for non-payment. A JSON document like usage_doc; '{}'
-- (nothing asked yet) for every existing user.
ALTER TABLE users ADD COLUMN control_doc TEXT NOT NULL DEFAULT '{}';
