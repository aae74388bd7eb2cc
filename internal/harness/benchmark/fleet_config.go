package benchmark

import "fmt"

// The fleet and its floor are the same configuration shape: a root module with one plan and
// a `tenant` module instantiated once per user, each instance holding one sub-key and one
// tenant that uses it. That is how an operator writes a fleet; it also keeps tofu's own work
// linear in N. (A flat `count` of tenants whose subkey_hash reads
// launchpad_subkey.user[count.index].hash makes tofu decode every sub-key instance for every
// tenant: quadratic in N before the provider does anything. FleetShapeFlat measures that.)
//
// The floor swaps each resource for a built-in terraform_data with the same dependencies and
// small string values, so its plan is tofu's own cost for the same graph with no provider.

// FleetShape is how the fleet configuration is laid out.
type FleetShape string

const (
	// FleetShapeModule is one `tenant` module instance per user (the default).
	FleetShapeModule FleetShape = "module"
	// FleetShapeFlat is one counted launchpad_subkey and one counted launchpad_tenant, each
	// tenant referencing launchpad_subkey.user[count.index] (as examples/fleet does).
	FleetShapeFlat FleetShape = "flat"
)

// userIDFormat makes user ids whose first 8 characters differ (the app name keeps 8), so that
// tenants created in the same second never ask for the same app name.
const userIDFormat = "u%07d"

const fleetPlanBlock = `
terraform {
  required_providers {
    launchpad = { source = "clawdrun/launchpad" }
  }
}

# Every provider setting comes from the environment the benchmark gives tofu.
provider "launchpad" {}

variable "n" {
  type = number
}

resource "launchpad_plan" "standard" {
  name                    = "standard"
  display_name            = "Standard"
  monthly_spend_limit_usd = 10
  machine_hours_per_cycle = 100
  volume_size_gb          = 1
  guest = {
    cpu_kind  = "shared"
    cpus      = 1
    memory_mb = 256
  }
}
`

const fleetTenantBody = `
resource "launchpad_subkey" "%[1]s" {
  %[2]s
  user_id = %[3]s
  plan    = %[4]s
}

resource "launchpad_tenant" "%[1]s" {
  %[2]s
  user_id     = %[3]s
  product     = "hermes"
  region      = "iad"
  plan        = %[4]s
  image       = "registry.fly.io/hermes-agent:1.4.2"
  subkey_hash = launchpad_subkey.%[1]s%[5]s.hash
}
`

const floorRoot = `
variable "n" {
  type = number
}

resource "terraform_data" "plan" {
  input = "standard"
}
`

const floorTenantBody = `
resource "terraform_data" "key_%[1]s" {
  %[2]s
  input = %[3]s
}

resource "terraform_data" "tenant_%[1]s" {
  %[2]s
  input = terraform_data.key_%[1]s%[4]s.id
}
`

// fleetFiles returns the files of the fleet workspace (path → content).
func fleetFiles(shape FleetShape) map[string]string {
	userID := fmt.Sprintf("format(%q, count.index)", userIDFormat)
	if shape == FleetShapeFlat {
		return map[string]string{
			"main.tf": fleetPlanBlock + fmt.Sprintf(fleetTenantBody, "user", "count = var.n", userID, "launchpad_plan.standard.name", "[count.index]"),
		}
	}
	return map[string]string{
		"main.tf": fleetPlanBlock + tenantModuleCall("launchpad_plan.standard.name"),
		"tenant/main.tf": `
terraform {
  required_providers {
    launchpad = { source = "clawdrun/launchpad" }
  }
}
` + tenantModuleVariables + fmt.Sprintf(fleetTenantBody, "this", "", "var.user_id", "var.plan", ""),
	}
}

// floorFiles returns the files of the floor workspace: the fleet's graph of terraform_data.
func floorFiles(shape FleetShape) map[string]string {
	if shape == FleetShapeFlat {
		return map[string]string{
			"main.tf": floorRoot + fmt.Sprintf(floorTenantBody, "user", "count = var.n", "terraform_data.plan.output", "[count.index]"),
		}
	}
	return map[string]string{
		"main.tf":        floorRoot + tenantModuleCall("terraform_data.plan.output"),
		"tenant/main.tf": tenantModuleVariables + fmt.Sprintf(floorTenantBody, "this", "", "var.plan", ""),
	}
}

// tenantModuleCall is the root's call of the tenant module, once per user, with the plan
// expression plan: the fleet and its floor call it alike, so that their graphs have the
// same shape.
func tenantModuleCall(plan string) string {
	return fmt.Sprintf(`
module "tenant" {
  source  = "./tenant"
  count   = var.n
  user_id = format(%q, count.index)
  plan    = %s
}
`, userIDFormat, plan)
}

// tenantModuleVariables are the inputs of the tenant module, in the fleet and in the floor.
const tenantModuleVariables = `
variable "user_id" {
  type = string
}

variable "plan" {
  type = string
}
`
