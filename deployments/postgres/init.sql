-- The ledger. Each service creates and migrates its own schema at start-up
-- (pool, roulette, payout, notifier); this only creates the database's owner role.
-- Run as a superuser once per cluster if you do not use the docker-compose defaults.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mgm') THEN
    CREATE ROLE mgm LOGIN PASSWORD 'mgm';
  END IF;
END $$;
