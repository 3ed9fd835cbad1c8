"""kamplan: key-account planning for Excel, WPS and LibreOffice users."""
__version__ = "0.1.0"
