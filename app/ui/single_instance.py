"""One running GUI per user: a ``QLocalServer`` named after the data dir. A second start
asks the first to show its window and exits."""

from __future__ import annotations

import hashlib
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)


def server_name(data_dir: str) -> str:
    return "jupei-" + hashlib.sha1(data_dir.encode()).hexdigest()[:12]


class SingleInstance(QObject):
    activated = Signal()

    def __init__(self, name: str, parent=None) -> None:
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None

    def already_running(self) -> bool:
        """True when another instance answered (and was asked to show itself)."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if sock.waitForConnected(300):
            sock.write(b"show\n")
            sock.waitForBytesWritten(300)
            sock.disconnectFromServer()
            return True
        return False

    def listen(self) -> bool:
        self.server = QLocalServer(self)
        if not self.server.listen(self.name):
            QLocalServer.removeServer(self.name)  # a stale socket from a crash
            if not self.server.listen(self.name):
                log.info("single-instance server unavailable: %s", self.server.errorString())
                return False
        self.server.newConnection.connect(self._on_connection)
        return True

    def _on_connection(self) -> None:
        assert self.server is not None
        conn = self.server.nextPendingConnection()
        if conn is not None:
            conn.readyRead.connect(lambda c=conn: (c.readAll(), self.activated.emit()))
            conn.disconnected.connect(conn.deleteLater)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
