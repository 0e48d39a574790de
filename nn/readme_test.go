package nn_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExample checks that the Go code in the README is
// Example_classifier, which go test compiles and runs: its import block,
// then the function's body, unindented.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```go block")
	}
	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	imports := s[strings.Index(s, "import (") : strings.Index(s, "\n)\n")+3]
	_, body, _ := strings.Cut(s, "func Example_classifier() {\n")
	body, _, _ = strings.Cut(body, "\n}\n")
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	if want := imports + "\n" + strings.Join(lines, "\n") + "\n"; block != want {
		t.Errorf("the README's Go code differs from Example_classifier; README:\n%s\nwant:\n%s", block, want)
	}
}
