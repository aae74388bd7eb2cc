-- The key id a sub-key is sealed under is read from the sealed value in the user's record;
-- keeping a copy here only gave rotate-secret a second record to update per user.
ALTER TABLE sub_keys DROP COLUMN key_id;
