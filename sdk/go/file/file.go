// Package file reads the app's static files: the files under static/ in the app directory or the bundle (the
// app's file capability).
//
//	page, err := file.Get("index.html") // static/index.html
package file

import "e2rx/internal/abi"

// Get is the content of static/<name>; a *e2rx.HostError when it does not exist or the capability is off.
func Get(name string) ([]byte, error) {
	h := abi.Current()
	return abi.Result("file.Get", h.GetStaticFile([]byte(name), abi.Ident()))
}
