package isa

import (
	"strings"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	for _, l := range []Level{Generic, AVX2, AVX512} {
		got, err := Parse(strings.ToUpper(l.String()))
		if err != nil || got != l {
			t.Errorf("Parse(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	if _, err := Parse("sse9"); err == nil || !strings.Contains(err.Error(), "avx2") {
		t.Errorf(`Parse("sse9") error = %v, want one listing the levels`, err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvVar, "")
	if l, err := FromEnv(); err != nil || l != Best() {
		t.Errorf("FromEnv with %s empty = %v, %v; want %v", EnvVar, l, err, Best())
	}
	t.Setenv(EnvVar, "generic")
	if l, err := FromEnv(); err != nil || l != Generic {
		t.Errorf("FromEnv with %s=generic = %v, %v; want generic", EnvVar, l, err)
	}
	t.Setenv(EnvVar, "bogus")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), EnvVar) {
		t.Errorf("FromEnv with %s=bogus: error %v, want one naming %s", EnvVar, err, EnvVar)
	}
	if Best() < AVX512 {
		t.Setenv(EnvVar, "avx512")
		if _, err := FromEnv(); err == nil {
			t.Errorf("FromEnv with %s=avx512 on a %v machine: no error", EnvVar, Best())
		}
	}
}

func TestSupportedEndsAtBest(t *testing.T) {
	s := Supported()
	if s[0] != Generic || s[len(s)-1] != Best() || len(s) != int(Best())+1 {
		t.Errorf("Supported() = %v with Best() = %v", s, Best())
	}
	t.Logf("best kernel level on this machine: %v", Best())
}
