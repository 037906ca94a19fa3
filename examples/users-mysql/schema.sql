-- The table of examples/users-mysql (MariaDB or MySQL). Load it once:
--   mysql -h 127.0.0.1 -u e2rx -pe2rx e2rx < examples/users-mysql/schema.sql
CREATE TABLE IF NOT EXISTS users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  email VARCHAR(200) NOT NULL UNIQUE
);
