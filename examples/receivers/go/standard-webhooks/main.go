// Verifies the Standard Webhooks headers Edgehooks adds when the secret is `whsec_<base64>`: webhook-id,
// webhook-timestamp and webhook-signature (`v1,<base64>`, space-separated). Go's standard library only.
// Run: WEBHOOK_SECRET=whsec_… PORT=3000 go run .
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func verify(rawBody []byte, h http.Header, secret string, now time.Time) bool {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	t, err := strconv.ParseInt(ts, 10, 64)
	if age := now.Unix() - t; id == "" || err != nil || age > 300 || age < -300 { // older than 5 minutes
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(rawBody)
	expected := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Split(h.Get("webhook-signature"), " ") {
		if strings.HasPrefix(sig, "v1,") && hmac.Equal([]byte(sig[3:]), []byte(expected)) {
			return true
		}
	}
	return false
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rawBody, _ := io.ReadAll(r.Body)
		if !verify(rawBody, r.Header, os.Getenv("WEBHOOK_SECRET"), time.Now()) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var event struct {
			EventType string `json:"event_type"`
		}
		json.Unmarshal(rawBody, &event) // deliveries are at least once: deduplicate on the webhook-id header
		fmt.Fprintf(w, "ok %s %s", event.EventType, r.Header.Get("webhook-id"))
	})
	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3000"
	}
	panic(http.ListenAndServe(host+":"+port, nil))
}
