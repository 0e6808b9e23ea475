package e2e

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify/verifytest"
)

// snsEndpoint stands in for sns.us-east-1.amazonaws.com: a TLS server with
// a certificate for that name from a CA of the test's own, reached through
// an HTTPS proxy. The ingest process trusts that CA (SSL_CERT_FILE) and
// uses that proxy (HTTPS_PROXY), both standard Go environment variables:
// the binary runs unchanged, its host allow-list included.
type snsEndpoint struct {
	key      *rsa.PrivateKey // signs messages; its certificate is served at certPath
	mu       sync.Mutex
	confirms []url.Values
	tunnels  []string
}

const (
	snsHostname = "sns.us-east-1.amazonaws.com"
	snsCertPath = "/SimpleNotificationService-e2e.pem"
	snsTopicARN = "arn:aws:sns:us-east-1:123456789012:hookq-e2e"
)

func startSNSEndpoint(t *testing.T) *snsEndpoint {
	t.Helper()
	e := &snsEndpoint{}
	var err error
	if e.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	signing := selfSigned(t, &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sns.amazonaws.com"}}, &e.key.PublicKey, e.key)

	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hookq e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), DNSNames: []string{snsHostname},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pemBlock("CERTIFICATE", caDER), 0o600); err != nil {
		t.Fatal(err)
	}

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == snsCertPath:
			w.Write(signing)
		case r.URL.Query().Get("Action") == "ConfirmSubscription":
			e.mu.Lock()
			e.confirms = append(e.confirms, r.URL.Query())
			e.mu.Unlock()
			io.WriteString(w, "<ConfirmSubscriptionResponse/>")
		default:
			http.NotFound(w, r)
		}
	}))
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)

	// An HTTPS proxy: CONNECT to the SNS host is tunnelled to tlsSrv.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.tunnels = append(e.tunnels, r.Method+" "+r.Host)
		e.mu.Unlock()
		if r.Method != http.MethodConnect || r.Host != snsHostname+":443" {
			http.Error(w, "only CONNECT to "+snsHostname, http.StatusForbidden)
			return
		}
		up, err := net.Dial("tcp", tlsSrv.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { io.Copy(up, rw); up.Close() }()
		go func() { io.Copy(conn, up); conn.Close() }()
	}))
	t.Cleanup(proxy.Close)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("SSL_CERT_FILE", caFile)
	return e
}

func selfSigned(t *testing.T, tmpl *x509.Certificate, pub any, priv crypto.Signer) []byte {
	t.Helper()
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("CERTIFICATE", der)
}

func pemBlock(typ string, der []byte) []byte {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	w.WriteString("-----BEGIN " + typ + "-----\n")
	s := base64.StdEncoding.EncodeToString(der)
	for len(s) > 64 {
		w.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	w.WriteString(s + "\n-----END " + typ + "-----\n")
	w.Flush()
	return b.Bytes()
}

// message is an SNS delivery signed as AWS documents it, SignatureVersion 2
// (RSA PKCS#1 v1.5 over SHA-256; see verifytest.SNSSignature).
func (e *snsEndpoint) message(t *testing.T, m map[string]string) []byte {
	t.Helper()
	m["SignatureVersion"], m["Signature"], m["SigningCertURL"] = "2", verifytest.SNSSignature(t, e.key, m), "https://"+snsHostname+snsCertPath
	b, _ := json.Marshal(m)
	return b
}

func (s *stack) call(method, path string, body []byte, hdr ...string) (int, http.Header, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.ingestURL+path, bytes.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestHandshakes runs every provider handshake against the real ingest and
// worker over HTTP: answered as each provider requires, never enqueued,
// and the source's signed events still flow to the destination.
func TestHandshakes(t *testing.T) {
	sns := startSNSEndpoint(t)
	var sources, routes strings.Builder
	for _, src := range []struct{ name, verifier string }{
		{"meta", `{ type: meta, secrets: ["meta-app-secret"], verify_token: "meatyhamhock" }`},
		{"x", `{ type: twitter, secrets: ["x-consumer-secret"] }`},
		{"dropbox", `{ type: dropbox, secrets: ["dropbox-app-secret"] }`},
		{"graph", `{ type: microsoft-graph, secrets: ["graph-client-state"] }`},
		{"asana", `{ type: asana, secrets: ["asana-hook-secret"] }`},
		{"sns", `{ type: aws-sns, secrets: ["` + snsTopicARN + `"] }`},
	} {
		sources.WriteString("  - name: " + src.name + "\n    verifier: " + src.verifier + "\n")
		routes.WriteString("  - name: " + src.name + "-out\n    source: " + src.name + "\n    handler: forward\n    url: SINK\n    timeout: 5s\n")
	}
	s := startStack(t, stackOpts{sources: sources.String(), routes: routes.String()})
	accepted := 0 // signed events answered "accepted": each must become one delivery
	delivered := func() int {
		s.sink.mu.Lock()
		defer s.sink.mu.Unlock()
		return len(s.sink.got)
	}

	t.Run("MetaHubChallenge", func(t *testing.T) {
		status, h, body := s.call("GET", "/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock", nil)
		if status != 200 || body != "1158201444" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Fatalf("GET with the token: %d %q %q", status, h.Get("Content-Type"), body)
		}
		if status, _, body := s.call("GET", "/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess", nil); status != 403 || strings.Contains(body, "1158201444") {
			t.Fatalf("GET with a wrong token: %d %s", status, body)
		}
		ev := []byte(`{"object":"page","entry":[{"id":"1","time":1750000000,"changes":[{"field":"feed","value":{"item":"status"}}]}]}`)
		if status, _, body := s.call("POST", "/webhooks/meta", ev, "X-Hub-Signature-256", "sha256="+hmacHex("meta-app-secret", string(ev))); status != 200 || !strings.Contains(body, `"event_type":"feed"`) {
			t.Fatalf("signed event: %d %s", status, body)
		}
		accepted++
	})

	t.Run("TwitterCRC", func(t *testing.T) {
		status, h, body := s.call("GET", "/webhooks/x?crc_token=challenge-123", nil)
		want := `{"response_token":"sha256=` + hmacB64("x-consumer-secret", "challenge-123") + `"}`
		if status != 200 || body != want || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("CRC: %d %q %s, want %s", status, h.Get("Content-Type"), body, want)
		}
	})

	t.Run("DropboxChallenge", func(t *testing.T) {
		status, h, body := s.call("GET", "/webhooks/dropbox?challenge="+url.QueryEscape("<script>x</script>"), nil)
		if status != 200 || body != "<script>x</script>" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("challenge: %d %q %q %q", status, h.Get("Content-Type"), h.Get("X-Content-Type-Options"), body)
		}
	})

	t.Run("GETElsewhere405", func(t *testing.T) {
		for _, src := range []string{"seed", "graph", "asana", "sns"} {
			if status, h, _ := s.call("GET", "/webhooks/"+src+"?challenge=1", nil); status != 405 || h.Get("Allow") != "POST" {
				t.Errorf("GET /webhooks/%s: %d Allow %q", src, status, h.Get("Allow"))
			}
		}
	})

	t.Run("GraphValidationToken", func(t *testing.T) {
		tok := "Validation: Testing client application reachability for subscription Request-Id: 9a3f"
		status, h, body := s.call("POST", "/webhooks/graph?validationToken="+url.QueryEscape(tok), nil, "Content-Type", "text/plain; charset=utf-8")
		if status != 200 || body != tok || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Fatalf("validation: %d %q %q", status, h.Get("Content-Type"), body)
		}
		ev := []byte(`{"value":[{"subscriptionId":"7f10","clientState":"graph-client-state","changeType":"created","resource":"Users/1/Messages/2"}]}`)
		if status, _, body := s.call("POST", "/webhooks/graph", ev, "Content-Type", "application/json"); status != 200 || !strings.Contains(body, "accepted") {
			t.Fatalf("notification: %d %s", status, body)
		}
		accepted++
		bad := bytes.Replace(ev, []byte("graph-client-state"), []byte("guessed-state"), 1)
		if status, _, _ := s.call("POST", "/webhooks/graph", bad, "Content-Type", "application/json"); status != 401 {
			t.Fatalf("wrong clientState: %d", status)
		}
	})

	t.Run("AsanaHookSecret", func(t *testing.T) {
		status, h, body := s.call("POST", "/webhooks/asana", []byte("{}"), "X-Hook-Secret", "b537207f20cbfa02357cf448134da559")
		if status != 200 || h.Get("X-Hook-Secret") != "b537207f20cbfa02357cf448134da559" || body != "" {
			t.Fatalf("handshake: %d %q %q", status, h.Get("X-Hook-Secret"), body)
		}
		ev := []byte(`{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}`)
		if status, _, body := s.call("POST", "/webhooks/asana", ev, "X-Hook-Signature", hmacHex("asana-hook-secret", string(ev))); status != 200 || !strings.Contains(body, `"event_type":"changed"`) {
			t.Fatalf("signed event: %d %s", status, body)
		}
		accepted++
		if status, _, _ := s.call("POST", "/webhooks/asana", ev); status != 401 {
			t.Fatalf("unsigned event without X-Hook-Secret: %d", status)
		}
	})

	t.Run("SNS", func(t *testing.T) {
		sub := sns.message(t, map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
			"Token": "2336412f37fb687f5d51e6e2425f004a", "TopicArn": snsTopicARN, "Message": "You have chosen to subscribe.",
			"SubscribeURL": "https://" + snsHostname + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(snsTopicARN) + "&Token=2336412f37fb687f5d51e6e2425f004a",
			"Timestamp":    time.Now().UTC().Format(time.RFC3339)})
		status, _, body := s.call("POST", "/webhooks/sns", sub, "Content-Type", "text/plain; charset=UTF-8", "x-amz-sns-message-type", "SubscriptionConfirmation")
		if status != 200 {
			t.Fatalf("SubscriptionConfirmation: %d %s", status, body)
		}
		sns.mu.Lock()
		confirms, tunnels := sns.confirms, sns.tunnels
		sns.mu.Unlock()
		if len(confirms) != 1 || confirms[0].Get("Token") != "2336412f37fb687f5d51e6e2425f004a" {
			t.Fatalf("SubscribeURL calls: %v (tunnels %v)", confirms, tunnels)
		}

		ev := sns.message(t, map[string]string{"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
			"TopicArn": snsTopicARN, "Subject": "hello", "Message": `{"order":42}`, "Timestamp": time.Now().UTC().Format(time.RFC3339)})
		if status, _, body := s.call("POST", "/webhooks/sns", ev, "Content-Type", "text/plain; charset=UTF-8"); status != 200 || !strings.Contains(body, "accepted") {
			t.Fatalf("Notification: %d %s", status, body)
		}
		accepted++
		eventually(t, 15*time.Second, "the SNS notification delivered", func() bool {
			return len(s.sink.deliveries("22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324")) == 1
		})

		stranger := sns.message(t, map[string]string{"Type": "Notification", "MessageId": "m-2",
			"TopicArn": "arn:aws:sns:us-east-1:999999999999:other", "Message": "x", "Timestamp": time.Now().UTC().Format(time.RFC3339)})
		if status, _, _ := s.call("POST", "/webhooks/sns", stranger); status != 401 {
			t.Fatalf("another account's topic: %d", status)
		}
		// The certificate came from the allow-listed host, once.
		sns.mu.Lock()
		defer sns.mu.Unlock()
		for _, tun := range sns.tunnels {
			if tun != "CONNECT "+snsHostname+":443" {
				t.Fatalf("ingest reached %s", tun)
			}
		}
	})

	// Every accepted event became one delivery; no handshake did.
	eventually(t, 15*time.Second, "the accepted events delivered", func() bool { return delivered() >= accepted })
	time.Sleep(500 * time.Millisecond)
	if n := delivered(); n != accepted {
		t.Fatalf("%d deliveries for %d accepted events: a handshake was enqueued", n, accepted)
	}
}
