-- examples/go-books: the books table, with two books.
CREATE TABLE IF NOT EXISTS books (
  isbn   text PRIMARY KEY,
  title  text NOT NULL,
  author text NOT NULL,
  year   integer NOT NULL
);

INSERT INTO books (isbn, title, author, year) VALUES
  ('9780262510875', 'Structure and Interpretation of Computer Programs', 'Abelson, Sussman', 1996),
  ('9780201633610', 'Design Patterns', 'Gamma, Helm, Johnson, Vlissides', 1994)
ON CONFLICT (isbn) DO NOTHING;
