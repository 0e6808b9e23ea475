package verifytest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// SNSSignature signs the SNS message m as AWS documents it, independently
// of the verifier: the string to sign is "Key\nValue\n" over the message
// type's keys in order (keys m lacks are left out), signed with RSA PKCS#1
// v1.5 over SHA-1 when m["SignatureVersion"] is "1" and SHA-256 otherwise.
// It returns the signature in base64, as the Signature field carries it.
func SNSSignature(tb testing.TB, key *rsa.PrivateKey, m map[string]string) string {
	tb.Helper()
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var s strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			s.WriteString(k + "\n" + v + "\n")
		}
	}
	h, sum := crypto.SHA256, sha256.Sum256([]byte(s.String()))
	digest := sum[:]
	if m["SignatureVersion"] == "1" {
		d := sha1.Sum([]byte(s.String()))
		h, digest = crypto.SHA1, d[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
