# A sub-key is imported by its OpenRouter hash; only keys minted by Launchpad can be imported.
terraform import launchpad_subkey.alice 5f2c9a0b1e7d4c3a
