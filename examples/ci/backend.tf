# The fleet's remote state for the CI examples: PostgreSQL through OpenTofu's and Terraform's
# pg backend, which reads the connection string from PG_CONN_STR and locks with advisory
# locks. Put this in the fleet's directory beside its versions.tf. A cloud bucket works the
# same way: backend "s3" {} or backend "gcs" {} with their own settings.
terraform {
  backend "pg" {
    schema_name = "launchpad_fleet"
  }
}
