"""Ticket printing: pure layout (``layout``), ESC/POS bytes (``escpos``), Pillow images and
PDF (``render``), transports, the durable queue and ``PrintService``. No Qt here."""
