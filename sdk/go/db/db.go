// Package db runs the named queries of the Directive (its `queries`) on the app's database connection
// (PostgreSQL or MySQL).
//
//	rows, err := db.Query("SelectUser", id) // [{"id":1,"name":"Ada"}]
//	result, err := db.Insert("InsertUser", name, email)
//
// Arguments are positional ($1, $2 for PostgreSQL, ? for MySQL) and travel as text: strings and []byte as they
// are, integers, floats and booleans as strconv writes them, nil as an empty string, anything else through its
// String method.
package db

import (
	"encoding/json"
	"strconv"

	"e2rx/internal/abi"
)

// Result is what an insert, update or delete query did.
type Result struct {
	// LastInsertID is the id of an inserted row (PostgreSQL: the first column of the first row of RETURNING).
	LastInsertID int64 `json:"lastInsertID"`
	// RowsAffected is the number of rows an update or delete changed.
	RowsAffected int64 `json:"rowsAffected"`
}

// Query runs a select query and returns its rows as a JSON array of objects, one per row, keyed by column name.
// Decode it with encoding/json.
func Query(name string, args ...any) ([]byte, error) {
	return exec("db.Query", abi.QuerySelect, name, args)
}

// Insert runs an insert query.
func Insert(name string, args ...any) (Result, error) {
	return result("db.Insert", abi.QueryInsert, name, args)
}

// Update runs an update query.
func Update(name string, args ...any) (Result, error) {
	return result("db.Update", abi.QueryUpdate, name, args)
}

// Delete runs a delete query.
func Delete(name string, args ...any) (Result, error) {
	return result("db.Delete", abi.QueryDelete, name, args)
}

func result(op string, queryType int32, name string, args []any) (Result, error) {
	data, err := exec(op, queryType, name, args)
	if err != nil {
		return Result{}, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return Result{}, &abi.HostError{Op: op, Message: "unexpected result " + strconv.Quote(string(data))}
	}
	return r, nil
}

func exec(op string, queryType int32, name string, args []any) ([]byte, error) {
	h := abi.Current()
	id := abi.Ident()
	for i, arg := range args {
		value, ok := text(arg)
		if !ok {
			return nil, &abi.HostError{Op: op, Message: "argument " + strconv.Itoa(i+1) + " of query " + name + " is not text, a number, a boolean, nil or a fmt.Stringer"}
		}
		if h.AddFFIVar([]byte(strconv.Itoa(i+1)), []byte(value), id) != 0 {
			return nil, &abi.HostError{Op: op, Message: "the host refused argument " + strconv.Itoa(i+1) + " of query " + name}
		}
	}
	return abi.Result(op, h.DBExec(queryType, []byte(name), id))
}

// text is an argument as the host receives it.
func text(arg any) (string, bool) {
	switch v := arg.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case []byte:
		return string(v), true
	case bool:
		return strconv.FormatBool(v), true
	case int:
		return strconv.Itoa(v), true
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint:
		return strconv.FormatUint(uint64(v), 10), true
	case uint8:
		return strconv.FormatUint(uint64(v), 10), true
	case uint16:
		return strconv.FormatUint(uint64(v), 10), true
	case uint32:
		return strconv.FormatUint(uint64(v), 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case interface{ String() string }:
		return v.String(), true
	default:
		return "", false
	}
}
