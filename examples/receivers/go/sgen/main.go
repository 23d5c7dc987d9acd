// Verifies Edgehooks' own signature, `X-SGEN-Signature: t=<unix seconds>,v1=<hex>` (one v1= per valid secret
// during a rotation). Go's standard library only. Run: WEBHOOK_SECRET=… PORT=3000 go run .
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
	"strconv"
	"strings"
	"time"
)

func verify(rawBody []byte, header, secret string, now time.Time) bool {
	var t int64 = -1
	var given []string
	for _, part := range strings.Split(header, ",") {
		if strings.HasPrefix(part, "t=") {
			t, _ = strconv.ParseInt(part[2:], 10, 64)
		} else if strings.HasPrefix(part, "v1=") {
			given = append(given, part[3:])
		}
	}
	if age := now.Unix() - t; t < 0 || age > 300 || age < -300 { // older than 5 minutes: a replay
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(t, 10) + "."))
	mac.Write(rawBody)
	expected := hex.EncodeToString(mac.Sum(nil))
	for _, sig := range given {
		if hmac.Equal([]byte(sig), []byte(expected)) {
			return true
		}
	}
	return false
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rawBody, _ := io.ReadAll(r.Body) // verify the raw bytes, before parsing
		if !verify(rawBody, r.Header.Get("X-SGEN-Signature"), os.Getenv("WEBHOOK_SECRET"), time.Now()) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var event struct {
			EventID   string `json:"event_id"`
			EventType string `json:"event_type"`
		}
		json.Unmarshal(rawBody, &event) // deliveries are at least once: deduplicate on event.EventID
		fmt.Fprintf(w, "ok %s %s", event.EventType, event.EventID)
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
