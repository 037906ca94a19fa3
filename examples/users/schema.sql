-- The table of examples/users (PostgreSQL). Load it once:
--   psql postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx -f examples/users/schema.sql
CREATE TABLE IF NOT EXISTS users (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE
);
