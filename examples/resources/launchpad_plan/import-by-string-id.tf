import {
  to = launchpad_plan.pro
  id = "pro"
}
