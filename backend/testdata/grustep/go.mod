module example.com/grustep

go 1.24.0

require github.com/myelin-go/myelin v0.0.0

replace github.com/myelin-go/myelin => ../../..
