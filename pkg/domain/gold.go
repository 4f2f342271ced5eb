package domain

// Gold amounts (docs/product.md §2).
const (
	CopperPerGold       int64 = 10_000
	PayoutGold          int64 = 1_000
	PayoutCopper              = PayoutGold * CopperPerGold
	LifetimeCapGold     int64 = 10_000
	VerifyGraceSeconds        = 30
	PayoutExpiryHours         = 24
	DefaultSpinInterval       = 300
)
