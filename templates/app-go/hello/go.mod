module {{name}}/hello

go 1.24

require e2rx v0.0.0

// The Go SDK comes with e2rx (it is not published elsewhere): this path is where it is.
replace e2rx => {{goSdk}}
