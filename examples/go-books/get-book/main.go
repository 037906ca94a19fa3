// get-book: GET /books/:isbn answers the book as JSON, with its rating from the ratings API. The answer is cached
// for a minute (X-Cache: hit or miss); an unknown book is a 404.
package main

import (
	"encoding/json"
	"errors"

	"e2rx"
	"e2rx/cache"
	"e2rx/db"
	"e2rx/http"
	"e2rx/log"
	"e2rx/req"
	"e2rx/resp"
	"e2rx/secrets"

	"go-books/books"
)

func init() {
	e2rx.Handle(getBook)
}

func getBook(_ []byte) ([]byte, error) {
	isbn := req.URLParam("isbn")
	if !books.ValidISBN(isbn) {
		return nil, e2rx.NewError(400, "an ISBN is 13 digits, or 10")
	}
	resp.ContentType("application/json")
	key := books.CacheKey(isbn)
	cached, err := cache.Get(key)
	if err == nil {
		resp.SetHeader("X-Cache", "hit")
		return cached, nil
	}
	if !errors.Is(err, cache.ErrNotFound) {
		log.Warn("reading the cache: " + err.Error())
	}

	rows, err := db.Query("SelectBook", isbn)
	if err != nil {
		return nil, err
	}
	var found []books.Book
	if err := json.Unmarshal(rows, &found); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, e2rx.NewError(404, "no book "+isbn)
	}
	book := found[0]
	book.Rating = rating(isbn)

	answer, err := json.Marshal(book)
	if err != nil {
		return nil, err
	}
	if err := cache.Set(key, answer, books.CacheTTL); err != nil {
		log.Warn("writing the cache: " + err.Error())
	}
	resp.SetHeader("X-Cache", "miss")
	return answer, nil
}

// rating asks the ratings API (its address is the secret RATINGS_URL) for the book's rating; nil when it has none
// or cannot be reached: the book is answered without it.
func rating(isbn string) *books.Rating {
	base := secrets.Get("RATINGS_URL")
	if base == "" {
		log.Warn("RATINGS_URL is not set: books are answered without ratings")
		return nil
	}
	body, err := http.Get(base + "/ratings/" + isbn)
	var status *http.StatusError
	if errors.As(err, &status) && status.StatusCode == 404 {
		return nil
	}
	if err != nil {
		log.Warn("asking the ratings API: " + err.Error())
		return nil
	}
	var r books.Rating
	if err := json.Unmarshal(body, &r); err != nil {
		log.Warn("the ratings API answered something else than a rating: " + err.Error())
		return nil
	}
	return &r
}

func main() {}
