package db_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"e2rx/db"
	"e2rx/e2rxtest"
)

type stringer struct{}

func (stringer) String() string { return "from String" }

func TestQueriesRunWithTheHostQueryTypesAndTextArguments(t *testing.T) {
	var seen []e2rxtest.Query
	host := e2rxtest.New()
	host.DB = func(q e2rxtest.Query) ([]byte, error) {
		seen = append(seen, q)
		switch q.Type {
		case "select":
			return []byte(`[{"id":1,"name":"Ada"}]`), nil
		case "insert":
			return []byte(`{"lastInsertID":12,"rowsAffected":0}`), nil
		}
		return []byte(`{"lastInsertID":0,"rowsAffected":3}`), nil
	}
	host.Run(func([]byte) ([]byte, error) {
		rows, err := db.Query("SelectUser", 1)
		if err != nil || string(rows) != `[{"id":1,"name":"Ada"}]` {
			t.Fatalf("Query: %s, %v", rows, err)
		}
		inserted, err := db.Insert("InsertUser", "Ada", []byte("ada@example.com"), true, int64(-5), uint8(7), 2.5, float32(0.25), nil, stringer{})
		if err != nil || inserted != (db.Result{LastInsertID: 12}) {
			t.Fatalf("Insert: %+v, %v", inserted, err)
		}
		updated, err := db.Update("UpdateUser", "x")
		if err != nil || updated.RowsAffected != 3 {
			t.Fatalf("Update: %+v, %v", updated, err)
		}
		deleted, err := db.Delete("DeleteUser")
		if err != nil || deleted.RowsAffected != 3 {
			t.Fatalf("Delete: %+v, %v", deleted, err)
		}
		return nil, nil
	}, nil)
	want := []e2rxtest.Query{
		{Type: "select", Name: "SelectUser", Args: []string{"1"}},
		{Type: "insert", Name: "InsertUser", Args: []string{"Ada", "ada@example.com", "true", "-5", "7", "2.5", "0.25", "", "from String"}},
		{Type: "update", Name: "UpdateUser", Args: []string{"x"}},
		{Type: "delete", Name: "DeleteUser", Args: []string{}},
	}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("queries\n got %+v\nwant %+v", seen, want)
	}
}

func TestAnArgumentOfAnotherTypeFailsBeforeTheQuery(t *testing.T) {
	called := false
	host := e2rxtest.New()
	host.DB = func(e2rxtest.Query) ([]byte, error) { called = true; return []byte("[]"), nil }
	host.Run(func([]byte) ([]byte, error) {
		_, err := db.Query("SelectUser", struct{}{})
		if err == nil || !strings.Contains(err.Error(), "argument 1 of query SelectUser is not text") {
			t.Fatalf("error %v", err)
		}
		return nil, nil
	}, nil)
	if called {
		t.Fatal("the query ran")
	}
}

func TestTheDatabaseErrorReachesTheFunction(t *testing.T) {
	host := e2rxtest.New()
	host.DB = func(e2rxtest.Query) ([]byte, error) {
		return nil, errors.New(`duplicate key value violates unique constraint "users_email_key"`)
	}
	out := host.Run(func([]byte) ([]byte, error) {
		_, err := db.Insert("InsertUser", "Ada")
		return nil, err
	}, nil)
	if out.Err == nil || out.Err.Message != `db.Insert: duplicate key value violates unique constraint "users_email_key"` {
		t.Fatalf("got %s", out)
	}
}

func TestAnUnexpectedResultIsAnError(t *testing.T) {
	host := e2rxtest.New()
	host.DB = func(e2rxtest.Query) ([]byte, error) { return []byte("[]"), nil }
	host.Run(func([]byte) ([]byte, error) {
		_, err := db.Update("UpdateUser")
		if err == nil || !strings.Contains(err.Error(), `unexpected result "[]"`) {
			t.Fatalf("error %v", err)
		}
		return nil, nil
	}, nil)
}

func TestWithoutADatabaseTheHostSaysSo(t *testing.T) {
	host := e2rxtest.New()
	host.Run(func([]byte) ([]byte, error) {
		_, err := db.Query("SelectUser")
		if err == nil || !errors.Is(err, err) || err.Error() != "db.Query: capability is not enabled" {
			t.Fatalf("error %v", err)
		}
		return nil, nil
	}, nil)
}
