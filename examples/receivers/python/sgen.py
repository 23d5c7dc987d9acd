# Verifies Edgehooks' own signature, `X-SGEN-Signature: t=<unix seconds>,v1=<hex>` (one v1= per valid secret
# during a rotation). Python's standard library only. Run: WEBHOOK_SECRET=... PORT=3000 python3 sgen.py
import hashlib, hmac, json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(raw_body, header, secret, now=None):
    parts = (header or "").split(",")
    t = next((p[2:] for p in parts if p.startswith("t=")), "")
    # A missing or malformed t, or one more than 5 minutes from now: refuse (an old one is a replay).
    if not (t.isascii() and t.isdigit()) or abs((now or time.time()) - int(t)) > 300:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(p[3:].encode(), expected.encode()) for p in parts if p.startswith("v1="))


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))  # verify the raw bytes
        if not verify(raw_body, self.headers.get("X-SGEN-Signature"), os.environ["WEBHOOK_SECRET"]):
            return self.answer(401, "invalid signature")
        event = json.loads(raw_body)  # deliveries are at least once: deduplicate on event["event_id"]
        self.answer(200, f"ok {event['event_type']} {event['event_id']}")

    def answer(self, status, text):
        self.send_response(status)
        self.end_headers()
        self.wfile.write(text.encode())


HTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "3000"))), Receiver).serve_forever()
