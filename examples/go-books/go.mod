module go-books

go 1.24

require e2rx v0.0.0

// The Go SDK of this repository (module e2rx is not published anywhere else).
replace e2rx => ../../sdk/go
