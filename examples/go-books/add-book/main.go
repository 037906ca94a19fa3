// add-book: POST /books adds the book of the JSON body and answers it; a book that exists is a 409.
package main

import (
	"encoding/json"
	"strings"

	"e2rx"
	"e2rx/db"
	"e2rx/log"

	"go-books/books"
)

func init() {
	e2rx.Handle(addBook)
}

func addBook(input []byte) ([]byte, error) {
	var book books.Book
	if err := json.Unmarshal(input, &book); err != nil || !books.ValidISBN(book.ISBN) || book.Title == "" || book.Author == "" || book.Year == 0 {
		return nil, e2rx.NewError(400, "send a book as JSON: isbn (13 digits, or 10), title, author and year")
	}
	if _, err := db.Insert("InsertBook", book.ISBN, book.Title, book.Author, book.Year); err != nil {
		if strings.Contains(err.Error(), "duplicate key") {
			return nil, e2rx.NewError(409, "book "+book.ISBN+" exists")
		}
		return nil, err
	}
	log.Info("added " + book.ISBN)
	book.Rating = nil
	return json.Marshal(book)
}

func main() {}
