package graphql_test

import (
	"errors"
	"testing"

	"e2rx/e2rxtest"
	"e2rx/graphql"
)

func TestQueryReturnsTheResponseOrTheHostError(t *testing.T) {
	host := e2rxtest.New()
	host.GraphQL = func(endpoint, query string) ([]byte, error) {
		if query == "{ broken }" {
			return nil, errors.New("graphQL error; path: broken, message: no such field")
		}
		return []byte(`{"data":{"endpoint":"` + endpoint + `"}}`), nil
	}
	out := host.Run(func([]byte) ([]byte, error) {
		data, err := graphql.Query("http://example.test/graphql", "{ me { name } }")
		if err != nil {
			return nil, err
		}
		if _, err := graphql.Query("http://example.test/graphql", "{ broken }"); err == nil || err.Error() != "graphql.Query: graphQL error; path: broken, message: no such field" {
			t.Fatalf("error %v", err)
		}
		return data, nil
	}, nil)
	if string(out.Output) != `{"data":{"endpoint":"http://example.test/graphql"}}` {
		t.Fatalf("got %s", out)
	}
}
