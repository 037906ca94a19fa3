// Package graphql sends GraphQL queries through the host (the app's graphql capability).
//
//	data, err := graphql.Query("https://api.example.com/graphql", `{ user(id: 1) { name } }`)
package graphql

import "e2rx/internal/abi"

// Query POSTs the query (with no variables) to the endpoint and returns the response, re-encoded as JSON
// {"data": ..., "errors": [...]}. A non-2xx response, or a response with GraphQL errors, is a *e2rx.HostError.
func Query(endpoint, query string) ([]byte, error) {
	h := abi.Current()
	return abi.Result("graphql.Query", h.GraphQLQuery([]byte(endpoint), []byte(query), abi.Ident()))
}
