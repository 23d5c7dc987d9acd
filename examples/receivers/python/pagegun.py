# Verifies a webhook with format "pagegun": `X-PageGun-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, as
# PageGun's own documentation checks it. Python's standard library only (no Flask).
# Run: WEBHOOK_SECRET=... PORT=3000 python3 pagegun.py
import hashlib, hmac, json, os
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(raw_body, signature, secret):
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (signature or "").encode())


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verify(raw_body, self.headers.get("X-PageGun-Signature"), os.environ["WEBHOOK_SECRET"]):
            return self.answer(401, "invalid signature")
        event = json.loads(raw_body)  # no timestamp here: deduplicate on the X-PageGun-Webhook-Id header
        self.answer(200, f"ok {event['event']} {self.headers['X-PageGun-Webhook-Id']} {event['data']['id']}")

    def answer(self, status, text):
        self.send_response(status)
        self.end_headers()
        self.wfile.write(text.encode())


HTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "3000"))), Receiver).serve_forever()
