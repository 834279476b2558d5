"""Identifiers of every automated check.

Shared by the probe engine (which implements each check) and the question bank
(which names the checks that can corroborate an answer), so both sides validate
against one list. Ids are stable: never rename one, add a new id instead.
"""

CHECK_TITLES: dict[str, str] = {
    "https_available": "HTTPS is served",
    "http_redirects_to_https": "Plain HTTP redirects to HTTPS",
    "redirect_chain": "Redirect chain is short and ends on HTTPS",
    "tls_protocols": "Only TLS 1.2 and newer are accepted",
    "tls_forward_secrecy": "Forward-secret, strong cipher suites",
    "certificate_valid": "Certificate is trusted and currently valid",
    "certificate_expiry": "Certificate is not close to expiry",
    "certificate_hostname": "Certificate matches the host name",
    "certificate_chain": "Certificate chain is complete",
    "hsts": "Strict-Transport-Security is strong",
    "csp": "Content-Security-Policy is strict",
    "x_content_type_options": "X-Content-Type-Options: nosniff",
    "frame_protection": "Framing is restricted (X-Frame-Options / frame-ancestors)",
    "referrer_policy": "Referrer-Policy limits leakage",
    "permissions_policy": "Permissions-Policy is set",
    "cross_origin_opener_policy": "Cross-Origin-Opener-Policy isolates the window",
    "cross_origin_resource_policy": "Cross-Origin-Resource-Policy limits who may embed",
    "subresource_integrity": "Cross-origin scripts carry Subresource Integrity",
    "cookie_security": "Cookies are Secure, HttpOnly and SameSite",
    "cors": "CORS does not trust arbitrary origins",
    "version_disclosure": "Server and framework versions are not disclosed",
    "compression": "Text responses are compressed (gzip / brotli)",
    "http2": "HTTP/2 is negotiated (ALPN)",
    "static_caching": "Static assets carry long-lived cache headers",
    "conditional_requests": "Conditional requests return 304 Not Modified",
    "cdn": "A CDN or edge cache is in front of the site",
    "ttfb": "Time to first byte is low",
    "latency_percentiles": "Latency percentiles over repeated requests",
    "error_page_leaks": "Error pages leak no stack traces or debug output",
    "robots_txt": "robots.txt is present",
    "security_txt": "security.txt is published",
    "rate_limit_signalling": "Rate limiting is signalled (429 + Retry-After)",
    "burst_capacity": "Sustained throughput and p95 under a bounded burst",
}

CHECK_IDS: frozenset[str] = frozenset(CHECK_TITLES)
