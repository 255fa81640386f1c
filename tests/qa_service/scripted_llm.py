"""A scripted OpenAI-compatible endpoint: a real HTTP server on 127.0.0.1 whose replies a test sets.

It answers `POST /v1/chat/completions` with the completion in `script.reply` (streamed in small
pieces when the request asks for a stream), or with what `script` says goes wrong: an HTTP
status with headers, a delay before the reply or in the middle of it, or a body that is not a
completion.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    reply: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before anything is sent (or, with stall_after, mid-reply)
    stall_after: int | None = None  # characters of the streamed reply sent before the delay
    garbage: bool = False  # a 200 whose body is not a chat completion
    piece_chars: int = 7  # the size of the streamed pieces


class ScriptedModel:
    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[dict[str, Any]] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                model.requests.append(body)
                model.respond(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        script = self.script
        if script.stall_after is None:
            time.sleep(script.delay)
        if script.status != 200:
            error = {"error": {"message": "scripted failure", "type": "scripted", "code": None}}
            self._send(handler, script.status, "application/json", json.dumps(error), script)
            return
        if script.garbage:
            self._send(handler, 200, "application/json", "<html>upstream error</html>", script)
            return
        if not body.get("stream"):
            message = {"role": "assistant", "content": script.reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._send(handler, 200, "application/json", json.dumps(_completion(choice)), script)
            return
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.end_headers()
        text = script.reply
        for i in range(0, len(text), script.piece_chars):
            if script.stall_after is not None and i <= script.stall_after < i + script.piece_chars:
                time.sleep(script.delay)
            delta = {"content": text[i : i + script.piece_chars]}
            chunk = _completion({"index": 0, "delta": delta, "finish_reason": None}, chunk=True)
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()
        final = _completion({"index": 0, "delta": {}, "finish_reason": "stop"}, chunk=True)
        handler.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        handler.wfile.flush()

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, kind: str, text: str, script: Script
    ) -> None:
        data = text.encode()
        handler.send_response(status)
        handler.send_header("content-type", kind)
        handler.send_header("content-length", str(len(data)))
        for name, value in script.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


def _completion(choice: dict[str, Any], chunk: bool = False) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk" if chunk else "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [choice],
    }
