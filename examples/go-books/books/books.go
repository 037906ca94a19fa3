// Package books is what the functions of examples/go-books share: the book, its rating, the cache key and the
// ISBN check. It is a library (not package main), so e2rx build does not build it as a function.
package books

import "time"

// Book is a row of the books table, as the functions answer it (with its rating, when the ratings API gave one).
type Book struct {
	ISBN   string  `json:"isbn"`
	Title  string  `json:"title"`
	Author string  `json:"author"`
	Year   int     `json:"year"`
	Rating *Rating `json:"rating"`
}

// Rating is what the ratings API answers for a book.
type Rating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// CacheTTL is how long get-book keeps an answer in the cache.
const CacheTTL = time.Minute

// CacheKey is the cache key of a book's answer.
func CacheKey(isbn string) string {
	return "book:" + isbn
}

// ValidISBN reports whether isbn is 13 digits, or 9 digits and a digit or X (ISBN-10).
func ValidISBN(isbn string) bool {
	if len(isbn) != 13 && len(isbn) != 10 {
		return false
	}
	for i, c := range isbn {
		if c >= '0' && c <= '9' || c == 'X' && len(isbn) == 10 && i == 9 {
			continue
		}
		return false
	}
	return true
}
