"""A loopback TCP proxy that cuts its connections after a chosen number of bytes.

Tests put it between the app and a redis-server to break a connection at a chosen
point of a write: in the middle of the command, right after it, or in the middle of
the reply.
"""

import socket
import threading

TO_SERVER = "to_server"
TO_CLIENT = "to_client"


class CuttingProxy:
    """Forward 127.0.0.1:port to target_port, counting the bytes in each direction."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.counts = {TO_SERVER: 0, TO_CLIENT: 0}
        # Direction and number of bytes still to forward before the cut, or None.
        self.armed: tuple[str, int] | None = None
        self.cuts = 0
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def reset_counts(self) -> None:
        with self.lock:
            self.counts = {TO_SERVER: 0, TO_CLIENT: 0}

    def arm(self, direction: str, after_bytes: int) -> None:
        """Cut every open connection once ``after_bytes`` more bytes went that way."""
        with self.lock:
            self.armed = (direction, after_bytes)

    def disarm(self) -> None:
        with self.lock:
            self.armed = None

    def close(self) -> None:
        self.stopped = True
        self.listener.close()
        with self.lock:
            for pair in self.pairs:
                self._close_pair(pair)

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            pair = (client, server)
            with self.lock:
                self.pairs.append(pair)
            for source, sink, direction in (
                (client, server, TO_SERVER),
                (server, client, TO_CLIENT),
            ):
                threading.Thread(
                    target=self._pump, args=(source, sink, direction, pair), daemon=True
                ).start()

    @staticmethod
    def _close_pair(pair) -> None:
        for sock in pair:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _pump(self, source, sink, direction, pair) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._close_pair(pair)
                return
            with self.lock:
                cut = False
                if self.armed is not None and self.armed[0] == direction:
                    remaining = self.armed[1]
                    if len(data) >= remaining:
                        data, cut = data[:remaining], True
                        self.armed = None
                        self.cuts += 1
                    else:
                        self.armed = (direction, remaining - len(data))
                self.counts[direction] += len(data)
                try:
                    if data:
                        sink.sendall(data)
                except OSError:
                    cut = True
                if cut:
                    self._close_pair(pair)
                    return
