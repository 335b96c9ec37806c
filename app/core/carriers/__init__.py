"""Carrier gateway: one package per carrier, listed explicitly in ``registry``."""
