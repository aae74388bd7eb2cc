# A plan is imported by its name.
terraform import launchpad_plan.pro pro
