package main

import (
	"errors"
	"reflect"
	"testing"

	"e2rx/e2rxtest"
)

func TestABookIsInsertedWithItsColumnsInOrder(t *testing.T) {
	var seen []e2rxtest.Query
	h := e2rxtest.New()
	h.DB = func(q e2rxtest.Query) ([]byte, error) {
		seen = append(seen, q)
		return []byte(`{"lastInsertID":0,"rowsAffected":1}`), nil
	}
	out := h.Run(addBook, []byte(`{"isbn":"9780131103627","title":"The C Programming Language","author":"Kernighan, Ritchie","year":1988}`))
	if out.Err != nil || string(out.Output) != `{"isbn":"9780131103627","title":"The C Programming Language","author":"Kernighan, Ritchie","year":1988,"rating":null}` {
		t.Fatalf("got %s", out)
	}
	want := []e2rxtest.Query{{Type: "insert", Name: "InsertBook", Args: []string{"9780131103627", "The C Programming Language", "Kernighan, Ritchie", "1988"}}}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("queries %+v", seen)
	}
}

func TestAnExistingBookIs409(t *testing.T) {
	h := e2rxtest.New()
	h.DB = func(e2rxtest.Query) ([]byte, error) {
		return nil, errors.New(`duplicate key value violates unique constraint "books_pkey"`)
	}
	out := h.Run(addBook, []byte(`{"isbn":"9780262510875","title":"SICP","author":"Abelson, Sussman","year":1996}`))
	if out.Err == nil || out.Err.Code != 409 || out.Err.Message != "book 9780262510875 exists" {
		t.Fatalf("got %s", out)
	}
}

func TestAnIncompleteBookIs400(t *testing.T) {
	for _, body := range []string{``, `{}`, `{"isbn":"123","title":"x","author":"y","year":1}`, `{"isbn":"9780262510875","title":"SICP"}`} {
		if out := e2rxtest.New().Run(addBook, []byte(body)); out.Err == nil || out.Err.Code != 400 {
			t.Fatalf("%s: got %s", body, out)
		}
	}
}
