// Verifies a webhook with format "pagegun": `X-PageGun-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, as
// PageGun's own documentation checks it. Go's standard library only. Run: WEBHOOK_SECRET=… PORT=3000 go run .
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

func verify(rawBody []byte, signature, secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(rawBody)
	expected := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(expected), []byte(signature))
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rawBody, _ := io.ReadAll(r.Body)
		if !verify(rawBody, r.Header.Get("X-PageGun-Signature"), os.Getenv("WEBHOOK_SECRET")) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var event struct {
			Event string `json:"event"`
			Data  struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		json.Unmarshal(rawBody, &event) // no timestamp here: deduplicate on the X-PageGun-Webhook-Id header
		fmt.Fprintf(w, "ok %s %s %s", event.Event, r.Header.Get("X-PageGun-Webhook-Id"), event.Data.ID)
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
