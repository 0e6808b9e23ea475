package verify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

// snsCertURL is where the fixture's certificate is served, under SNS's own
// host: the allow-list is the production one.
const snsCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookqtest.pem"

// snsFix is a local stand-in for SNS's endpoint (and PayPal's certificate host): it serves a test
// certificate and records subscription confirmations. Every aws-sns
// verifier the test binary builds reaches it through verify.SNSClient,
// which dials it whatever the host; the certificate is self-signed here.
type snsFix struct {
	key       *rsa.PrivateKey
	certGets  atomic.Int32
	confirms  atomic.Int32
	confirmOK atomic.Bool
}

var (
	snsOnce sync.Once
	snsF    *snsFix
)

func snsFixture(tb testing.TB) *snsFix {
	tb.Helper()
	snsOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			tb.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
			NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			tb.Fatal(err)
		}
		f := &snsFix{key: key}
		f.confirmOK.Store(true)
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/SimpleNotificationService-hookqtest.pem" || r.URL.Path == "/v1/notifications/certs/CERT-hookqtest":
				f.certGets.Add(1)
				w.Write(pemCert)
			case r.URL.Query().Get("Action") == "ConfirmSubscription":
				f.confirms.Add(1)
				if !f.confirmOK.Load() {
					w.WriteHeader(http.StatusForbidden)
				}
			default:
				http.NotFound(w, r)
			}
		}))
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		}
		tr.TLSClientConfig.ServerName = "example.com" // httptest's certificate name
		*verify.SNSClient = &http.Client{Transport: tr, Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		snsF = f
	})
	return snsF
}

// snsMsg builds a delivery as SNS does: the documented string to sign
// ("Key\nValue\n" over the type's keys, in order), RSA PKCS#1 v1.5 with
// SHA-1 (SignatureVersion 1) or SHA-256 (2), base64.
func (f *snsFix) snsMsg(tb testing.TB, m map[string]string) []byte {
	tb.Helper()
	sig := verifytest.SNSSignature(tb, f.key, m)
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	if _, ok := out["Signature"]; !ok {
		out["Signature"] = sig
	}
	if _, ok := out["SigningCertURL"]; !ok {
		out["SigningCertURL"] = snsCertURL
	}
	b, _ := json.Marshal(out)
	return b
}

const snsTopic = "arn:aws:sns:us-east-1:123456789012:MyTopic"

func snsNotification(extra ...string) map[string]string {
	m := map[string]string{"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn": snsTopic,
		"Subject": "My First Message", "Message": "Hello world!", "Timestamp": "2012-05-02T00:54:06.655Z", "SignatureVersion": "2"}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "<absent>" {
			delete(m, extra[i])
		} else {
			m[extra[i]] = extra[i+1]
		}
	}
	return m
}

// snsCase is aws-sns's conformance case: the topic ARNs play the secrets
// (a genuine message of another topic is refused like a wrong key), the
// body is the SNS Message, and the signature travels inside the JSON.
func snsCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "aws-sns"},
		Secrets: [2]verify.Secret{snsTopic, "arn:aws:sns:eu-west-1:123456789012:Other"},
		Wrong:   "arn:aws:sns:us-east-1:210987654321:Stranger",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			tb.Helper()
			m := snsNotification("TopicArn", string(s), "Message", string(body), "Timestamp", ts.UTC().Format(time.RFC3339))
			var got map[string]string
			json.Unmarshal(snsFixture(tb).snsMsg(tb, m), &got)
			return hdr("Signature", got["Signature"], "Topicarn", string(s), "Timestamp", got["Timestamp"]), ""
		},
		SignatureHeaders: []string{"Signature"},
		Body:             []byte(`{"id":"evt_1","type":"test.event"}`),
		Embed: func(h http.Header, body []byte) (http.Header, []byte) {
			m := snsNotification("TopicArn", h.Get("Topicarn"), "Message", string(body), "Timestamp", h.Get("Timestamp"),
				"Signature", h.Get("Signature"), "SigningCertURL", snsCertURL)
			if _, ok := h["Signature"]; !ok {
				delete(m, "Signature")
			}
			b, _ := json.Marshal(m)
			return http.Header{"Content-Type": {"text/plain; charset=UTF-8"}}, b
		},
	}
}

func newSNS(tb testing.TB, tol time.Duration) verify.Verifier {
	tb.Helper()
	snsFixture(tb)
	v, err := verify.New(verify.Spec{Type: "aws-sns", Secrets: []verify.Secret{snsTopic}, Tolerance: tol})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestSNSMessages(t *testing.T) {
	f := snsFixture(t)
	now := time.Date(2012, 5, 2, 0, 55, 0, 0, time.UTC)
	sub := func(extra ...string) map[string]string {
		m := map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
			"Token": "2336412f37f", "TopicArn": snsTopic, "Message": "You have chosen to subscribe to the topic.",
			"SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + snsTopic + "&Token=2336412f37f",
			"Timestamp":    "2012-04-26T20:45:04.751Z", "SignatureVersion": "1"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	for name, tc := range map[string]struct {
		body []byte
		tol  time.Duration
		want error
	}{
		"V2Notification":      {f.snsMsg(t, snsNotification()), 0, nil},
		"V1Notification":      {f.snsMsg(t, snsNotification("SignatureVersion", "1")), 0, nil},
		"NoSubject":           {f.snsMsg(t, snsNotification("Subject", "<absent>")), 0, nil},
		"Subscription":        {f.snsMsg(t, sub()), 0, nil},
		"WithinTolerance":     {f.snsMsg(t, snsNotification()), 5 * time.Minute, nil},
		"OutsideTolerance":    {f.snsMsg(t, snsNotification("Timestamp", "2012-05-01T00:54:06Z")), 5 * time.Minute, errTolerance},
		"OtherTopic":          {f.snsMsg(t, snsNotification("TopicArn", "arn:aws:sns:us-east-1:999999999999:MyTopic")), 0, errInvalid},
		"UnknownVersion":      {f.snsMsg(t, snsNotification("SignatureVersion", "3")), 0, errInvalid},
		"UnknownType":         {f.snsMsg(t, snsNotification("Type", "Other")), 0, errInvalid},
		"CertOffAllowList":    {f.snsMsg(t, snsNotification("SigningCertURL", "https://sns.us-east-1.amazonaws.com.evil.example/x.pem")), 0, errInvalid},
		"CertHTTP":            {f.snsMsg(t, snsNotification("SigningCertURL", "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookqtest.pem")), 0, errInvalid},
		"CertUserinfo":        {f.snsMsg(t, snsNotification("SigningCertURL", "https://evil@sns.us-east-1.amazonaws.com/SimpleNotificationService-hookqtest.pem")), 0, errInvalid},
		"CertNotFound":        {f.snsMsg(t, snsNotification("SigningCertURL", "https://sns.us-east-1.amazonaws.com/missing.pem")), 0, errInvalid},
		"SignatureNotBase64":  {f.snsMsg(t, snsNotification("Signature", "!!")), 0, errInvalid},
		"NotJSON":             {[]byte("Type=Notification"), 0, errMissing},
		"NoSignature":         {[]byte(`{"Type":"Notification","SigningCertURL":"` + snsCertURL + `"}`), 0, errMissing},
		"SignatureIsANumber":  {[]byte(`{"Type":"Notification","Signature":5,"SigningCertURL":"` + snsCertURL + `"}`), 0, errMissing},
		"TamperedAfterSigned": {[]byte(strings.Replace(string(f.snsMsg(t, snsNotification())), "Hello", "Jello", 1)), 0, errInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			err := newSNS(t, tc.tol).Verify(&verify.Request{Body: tc.body, Now: now})
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// A verifier fetches a certificate once, then serves it from its cache.
func TestSNSCertCache(t *testing.T) {
	f := snsFixture(t)
	v := newSNS(t, 0)
	before := f.certGets.Load()
	for range 3 {
		if err := v.Verify(&verify.Request{Body: f.snsMsg(t, snsNotification())}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.certGets.Load() - before; n != 1 {
		t.Fatalf("certificate fetched %d times, want 1", n)
	}
}

func TestSNSConfirm(t *testing.T) {
	f := snsFixture(t)
	c := newSNS(t, 0).(verify.Confirmer)
	sub := map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "m1", "Token": "tok", "TopicArn": snsTopic,
		"Message": "confirm", "Timestamp": "2012-04-26T20:45:04.751Z", "SignatureVersion": "2",
		"SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + snsTopic + "&Token=tok"}
	ctx := context.Background()

	before := f.confirms.Load()
	resp, ok, err := c.Confirm(ctx, &verify.Request{Body: f.snsMsg(t, sub)})
	if err != nil || !ok || f.confirms.Load()-before != 1 {
		t.Fatalf("Confirm = %s, %v, %v; confirmations %d, want 1", resp, ok, err, f.confirms.Load()-before)
	}

	f.confirmOK.Store(false)
	_, ok, err = c.Confirm(ctx, &verify.Request{Body: f.snsMsg(t, sub)})
	f.confirmOK.Store(true)
	if !ok || !errors.Is(err, verify.ErrConfirmFailed) {
		t.Fatalf("refused confirmation: ok %v err %v, want ErrConfirmFailed", ok, err)
	}

	off := map[string]string{}
	for k, v := range sub {
		off[k] = v
	}
	off["SubscribeURL"] = "https://attacker.example/?Action=ConfirmSubscription"
	before = f.confirms.Load()
	if _, ok, err = c.Confirm(ctx, &verify.Request{Body: f.snsMsg(t, off)}); !ok || !errors.Is(err, errMalformed) || f.confirms.Load() != before {
		t.Fatalf("SubscribeURL off the allow-list: ok %v err %v", ok, err)
	}

	if _, ok, _ := c.Confirm(ctx, &verify.Request{Body: f.snsMsg(t, snsNotification())}); ok {
		t.Fatal("a Notification was taken for a handshake")
	}
}

// The topic ARNs are what an aws-sns source is configured with.
func TestSNSSecretsAreTopics(t *testing.T) {
	if _, err := verify.New(verify.Spec{Type: "aws-sns", Secrets: []verify.Secret{"not-an-arn"}}); err == nil {
		t.Fatal("aws-sns accepted a secret that is not a topic ARN")
	}
}

// FuzzSNS fuzzes whole SNS bodies: parsing never panics, and nothing but
// the fixture's genuine messages verifies.
func FuzzSNS(f *testing.F) {
	fx := snsFixture(f)
	genuine := fx.snsMsg(f, snsNotification())
	f.Add(genuine)
	f.Add(fx.snsMsg(f, snsNotification("Type", "SubscriptionConfirmation", "SubscribeURL", "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription")))
	f.Add([]byte(`{"Type":"Notification","Signature":"","SigningCertURL":"https://sns.x.amazonaws.com/a.pem"}`))
	f.Add([]byte(`{"Subject":null,"Signature":"AA==","SigningCertURL":"` + snsCertURL + `","SignatureVersion":"1","Type":"Notification"}`))
	v := newSNS(f, 0)
	other, err := verify.New(verify.Spec{Type: "aws-sns", Secrets: []verify.Secret{"arn:aws:sns:us-east-1:1:Stranger"}})
	if err != nil {
		f.Fatal(err)
	}
	c := v.(verify.Confirmer)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &verify.Request{Body: body}
		if v.Verify(r) == nil {
			c.Confirm(context.Background(), r)
		}
		if other.Verify(r) == nil {
			t.Fatalf("accepted for a topic that was not configured: %q", body)
		}
	})
}
