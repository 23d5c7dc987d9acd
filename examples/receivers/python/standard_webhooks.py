# Verifies the Standard Webhooks headers Edgehooks adds when the secret is `whsec_<base64>`: webhook-id,
# webhook-timestamp and webhook-signature (`v1,<base64>`, space-separated). Python's standard library only.
# Run: WEBHOOK_SECRET=whsec_... PORT=3000 python3 standard_webhooks.py
import base64, hashlib, hmac, json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(raw_body, headers, secret, now=None):
    msg_id, t = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    # A missing id or timestamp, or one more than 5 minutes from now: refuse (an old one is a replay).
    if not msg_id or not (t.isascii() and t.isdigit()) or abs((now or time.time()) - int(t)) > 300:
        return False
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    signed = f"{msg_id}.{t}.".encode() + raw_body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = headers.get("webhook-signature", "").split(" ")
    return any(s.startswith("v1,") and hmac.compare_digest(s[3:].encode(), expected.encode()) for s in given)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verify(raw_body, self.headers, os.environ["WEBHOOK_SECRET"]):
            return self.answer(401, "invalid signature")
        event = json.loads(raw_body)  # deliveries are at least once: deduplicate on the webhook-id header
        self.answer(200, f"ok {event['event_type']} {self.headers['webhook-id']}")

    def answer(self, status, text):
        self.send_response(status)
        self.end_headers()
        self.wfile.write(text.encode())


HTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "3000"))), Receiver).serve_forever()
