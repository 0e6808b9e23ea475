// Package jsonpath reads one value from a JSON document by a config path
// (dot-separated keys; numeric segments index arrays), refusing documents in
// which that path is ambiguous.
//
// Ambiguity is how one parser comes to see other data than another: for a
// repeated key gjson reads the first value and encoding/json the last, and
// encoding/json also matches keys case-insensitively. Get refuses a path when
// any object along it holds the key more than once, in any letter case, so
// every parser that reads the path reads the same value.
package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// ErrAmbiguous is returned when an object on the path holds a key twice,
// or in two letter cases.
var ErrAmbiguous = errors.New("duplicate or case-variant key")

// Get returns the value at path in doc, which must be valid JSON (the caller
// checks it once, with gjson.Valid). A missing path gives a Result whose
// Exists() is false and a nil error.
func Get(doc []byte, path string) (gjson.Result, error) {
	cur := gjson.ParseBytes(doc)
	for seg := range strings.SplitSeq(path, ".") {
		switch {
		case cur.IsObject():
			var found gjson.Result
			n := 0
			cur.ForEach(func(k, v gjson.Result) bool {
				if strings.EqualFold(k.Str, seg) {
					n++
					if k.Str == seg {
						found = v
					}
				}
				return n < 2
			})
			if n > 1 {
				return gjson.Result{}, fmt.Errorf("%w: %q", ErrAmbiguous, seg)
			}
			cur = found
		case cur.IsArray():
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || seg != strconv.Itoa(i) {
				return gjson.Result{}, nil
			}
			var found gjson.Result
			j := 0
			cur.ForEach(func(_, v gjson.Result) bool {
				if j == i {
					found = v
					return false
				}
				j++
				return true
			})
			cur = found
		default:
			return gjson.Result{}, nil
		}
		if !cur.Exists() {
			return cur, nil
		}
	}
	return cur, nil
}
