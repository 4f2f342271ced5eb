package service_test

import "time"

const testenvTimeout = 10 * time.Second
