import {
  to = launchpad_subkey.alice
  id = "5f2c9a0b1e7d4c3a"
}
