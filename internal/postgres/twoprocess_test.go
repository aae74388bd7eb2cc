package postgres_test

// helperURLEnv carries the schema's URL to a worker process of the two-process test.
const helperURLEnv = "LAUNCHPAD_POSTGRES_HELPER_URL"
