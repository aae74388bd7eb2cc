terraform {
  required_providers {
    launchpad = {
      source = "clawdrun/launchpad"
    }
  }
}
