-- When the drawn member's membership began, answered with the draw (and again for a
-- repeated draw of the same cycle): the payout service refuses a win when a payout of
-- that viewer was Sent since (docs/product.md §2). NULL for draws recorded before.
ALTER TABLE draws ADD COLUMN enrolled_at timestamptz;
