-- When the candidate's pool membership began, as the pool answered the draw; passed to
-- the payout service, which refuses a win paid since (docs/product.md §2). NULL for
-- cycles drawn before, and when the pool did not say.
ALTER TABLE cycles ADD COLUMN candidate_enrolled_at timestamptz;
