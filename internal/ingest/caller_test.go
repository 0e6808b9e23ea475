package ingest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// caller returns a func that sends a request with headers hdr and body to
// the server at base and returns its status, headers and body.
func caller(t *testing.T, base string) func(method, path string, hdr map[string]string, body string) (int, http.Header, string) {
	return func(method, path string, hdr map[string]string, body string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
}
