terraform {
  required_providers {
    launchpad = {
      source = "clawdrun/launchpad"
    }
  }
}

# Every setting falls back to its environment variable; secrets are best left to them:
# PLATFORM_SECRET, FLY_API_TOKEN, OPENROUTER_MANAGEMENT_KEY, OPENROUTER_POOLED_KEY.
provider "launchpad" {
  store = "sqlite:///var/lib/launchpad/launchpad.db" # or firestore://my-project

  fly = {
    org = "acme-agents"
  }

  openrouter = {
    base_url = "https://openrouter.ai/api/v1"
  }
}
