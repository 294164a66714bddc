"""Banners resource."""
