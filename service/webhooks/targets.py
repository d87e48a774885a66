"""Where a webhook may go: in production only https; never a loopback, private, link-local or otherwise
non-public address unless TVAERS_WEBHOOK_ALLOWED_TARGETS names the host or its network. The check runs on
the registered URL and again, after DNS resolution, before every attempt; the connection then goes to the
address that was checked (no second look-up an attacker could rebind), and redirects are never followed."""

import ipaddress
import socket
from urllib.parse import urlsplit

from service.core.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedTarget(ValueError):
    """The target is not allowed; the message names the rule, never the address."""


def _allowlisted(host: str, ip: IPAddress) -> bool:
    for entry in get_settings().webhook_allowed_targets:
        if entry.lower() == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL shape, or BlockedTarget."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedTarget("the URL is not well-formed") from None
    if parts.scheme not in ("https", "http"):
        raise BlockedTarget("the URL must use https")
    if parts.scheme == "http" and get_settings().is_production:
        raise BlockedTarget("in production the URL must use https")
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
        raise BlockedTarget("the URL needs a host and no user information or fragment")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of the host, each one allowed — or BlockedTarget."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise BlockedTarget("the host name does not resolve") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    if not addresses:
        raise BlockedTarget("the host name does not resolve")
    for ip in addresses:
        if not _public(ip) and not _allowlisted(host, ip):
            raise BlockedTarget("the host resolves to a loopback, private or link-local address")
    return addresses
