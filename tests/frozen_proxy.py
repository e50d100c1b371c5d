"""A TCP proxy whose flows can go silent: what a dead network path, a firewall that
forgot a flow or a stuck pooler look like to a client (its socket stays open)."""

from __future__ import annotations

import socket
import threading
import time


class FrozenProxy:
    """Forwards connections to `upstream`; while `frozen` is set nothing passes."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.frozen = threading.Event()
        self._upstream = upstream
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        source.settimeout(0.01)
        with source:
            while not self._closed.is_set():
                if self.frozen.is_set():
                    time.sleep(0.01)
                    continue
                try:
                    data = source.recv(65536)
                    if not data:
                        return
                    target.sendall(data)
                except TimeoutError:
                    continue
                except OSError:  # either side closed
                    return

    def close(self) -> None:
        self._closed.set()
        self._server.close()
