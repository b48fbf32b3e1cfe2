module github.com/stockade-sandbox/stockade

go 1.26.0

require (
	github.com/google/subcommands v1.2.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
