package gemm

//go:generate sh -c "cd _generate && go run . -out ../kernel_amd64.s -stubs ../kernel_amd64.go -pkg gemm"
