module e2rx

go 1.24
