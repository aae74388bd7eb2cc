import {
  to = launchpad_subkey.alice
  id = "9c4e2f1a7b3d5e8f0a6c4b2d9e1f3a5c7b8d0e2f4a6c8b1d3e5f7a9c0b2d4e6f"
}
