package verify

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// certClient fetches signing certificates (AWS SNS, PayPal) and confirms
// SNS subscriptions. It follows no redirect: one could leave the host
// allow-list. A fetch and a confirmation fit in ingest's 5 s answer.
var certClient = &http.Client{
	Timeout:       2 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// certSource gives the RSA key of a certificate a delivery names by URL:
// https only, on a host hostOK allows, fetched once and then cached.
// Trust comes from the TLS connection to the provider's own host.
type certSource struct {
	hostOK func(host string) bool
	mu     sync.Mutex
	keys   map[string]*rsa.PublicKey
}

func newCertSource(hostOK func(string) bool) *certSource {
	return &certSource{hostOK: hostOK, keys: map[string]*rsa.PublicKey{}}
}

// allowed checks a URL a delivery names against the host allow-list.
func (c *certSource) allowed(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || !c.hostOK(u.Hostname()) {
		return errors.New("not an https URL on the provider's allow-listed hosts")
	}
	return nil
}

// maxCert bounds a fetched certificate: providers' are a few KiB.
const maxCert = 64 << 10

// maxCachedCerts bounds the cache, so that URLs an attacker varies (on an
// allowed host) cannot grow it without end. Providers name a certificate
// by its content, so an entry never goes stale.
const maxCachedCerts = 64

func (c *certSource) key(raw string) (*rsa.PublicKey, error) {
	if err := c.allowed(raw); err != nil {
		return nil, err
	}
	c.mu.Lock()
	k, ok := c.keys[raw]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := fetchRSAKey(raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.keys) >= maxCachedCerts {
		clear(c.keys)
	}
	c.keys[raw] = k
	c.mu.Unlock()
	return k, nil
}

func fetchRSAKey(raw string) (*rsa.PublicKey, error) {
	resp, err := certClient.Get(raw)
	if err != nil {
		return nil, errors.New("certificate fetch failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("certificate fetch answered %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCert))
	if err != nil {
		return nil, errors.New("certificate fetch failed")
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, errors.New("not a certificate")
	}
	k, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("certificate key is not RSA")
	}
	return k, nil
}
