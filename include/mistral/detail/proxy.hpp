// mistral/detail/proxy.hpp: which proxy a request goes through (explicit options, or the
// HTTP(S)_PROXY / NO_PROXY environment), for any transport. Standard library only.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../http.hpp"
#include "../transport.hpp"
#include "ascii.hpp"
#include "config.hpp"
#include "sanitize.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

/// The proxy a request should use, from explicit options or the environment.
struct proxy_endpoint {
    std::string host;
    int port = 0;
    std::string user;
    std::string password;
};

// NO_PROXY semantics: entries separated by commas or spaces; "*" matches everything; an entry
// matches the host itself and its subdomains; a leading dot and a ":port" suffix are ignored.
inline bool no_proxy_matches(std::string_view list, std::string_view host) {
    while (!list.empty()) {
        const auto sep = list.find_first_of(", ");
        std::string_view entry = list.substr(0, sep);
        list = sep == std::string_view::npos ? std::string_view() : list.substr(sep + 1);
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry.front() == '.') entry.remove_prefix(1);
        if (const auto colon = entry.rfind(':');
            colon != std::string_view::npos && entry.find(':') == colon) {
            entry = entry.substr(0, colon);
        }
        if (iequals(host, entry)) return true;
        if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
            iequals(host.substr(host.size() - entry.size()), entry)) {
            return true;
        }
    }
    return false;
}

inline std::string first_env(std::initializer_list<const char*> names) {
    for (const char* name : names) {
        const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
        if (value != nullptr && *value != '\0') return value;
    }
    return {};
}

// Decodes %XX escapes (proxy credentials in a URL are percent-encoded).
inline std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The proxy URL of a target: the options' own, else the environment's. HTTP_PROXY is not read
// in a CGI program (REQUEST_METHOD set), where a request's "Proxy:" header arrives as
// HTTP_PROXY ("httpoxy"), as curl and Go do; http_proxy cannot be set that way.
inline std::string proxy_url_for(const proxy_options& options, const url_parts& target,
                                 std::string& no_proxy) {
    no_proxy = options.no_proxy;
    if (!options.url.empty() || !options.use_environment) return options.url;
    const bool cgi = std::getenv("REQUEST_METHOD") != nullptr;  // NOLINT(concurrency-mt-unsafe)
    std::string url = target.scheme == "https" ? first_env({"https_proxy", "HTTPS_PROXY"})
                      : cgi                    ? first_env({"http_proxy"})
                                               : first_env({"http_proxy", "HTTP_PROXY"});
    const std::string env_no_proxy = first_env({"no_proxy", "NO_PROXY"});
    if (!env_no_proxy.empty()) no_proxy += "," + env_no_proxy;
    return url;
}

// The userinfo of a proxy URL ("user:password"), which ends at its last '@': a password may hold
// '/', '?' or '#' unescaped. Empty when there is none.
inline std::string_view proxy_userinfo(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto at = url.rfind('@');
    if (at == std::string_view::npos || at < start) return {};
    return url.substr(start, at - start);
}

inline std::optional<proxy_endpoint> select_proxy(const proxy_options& options,
                                                  const url_parts& target) {
    std::string no_proxy;
    std::string url = proxy_url_for(options, target, no_proxy);
    if (url.empty() || no_proxy_matches(no_proxy, target.host)) return std::nullopt;
    if (url.find("://") == std::string::npos) url.insert(0, "http://");
    const std::string scheme = to_lower(std::string_view(url).substr(0, url.find("://")));
    if (scheme != "http") {
        // Speaking plain HTTP to a proxy the user asked to reach over TLS would send its
        // credentials (and, for an http target, the API key) in clear.
        throw usage_error("proxy " + without_userinfo(url) +
                          ": only http:// proxies are supported (the TLS of an https API runs "
                          "through the proxy's tunnel end to end); write http://host:port");
    }
    const std::string_view userinfo = proxy_userinfo(url);
    const std::string host_port =
        "http://" + url.substr(url.find("://") + 3 + (userinfo.empty() ? 0 : userinfo.size() + 1));
    const url_parts parts = parse_url(host_port);
    proxy_endpoint proxy{parts.host, parts.port, {}, {}};
    if (!userinfo.empty()) {
        const auto colon = userinfo.find(':');
        proxy.user = percent_decode(userinfo.substr(0, colon));
        if (colon != std::string_view::npos)
            proxy.password = percent_decode(userinfo.substr(colon + 1));
    }
    return proxy;
}

// The request that asks a proxy for a tunnel to the target's host and port (RFC 9110 9.3.6).
inline std::string connect_request(const url_parts& target, const proxy_endpoint& proxy) {
    const std::string authority =
        (target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host) + ":" +
        std::to_string(target.port);
    std::string out = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!proxy.user.empty()) {
        out += "Proxy-Authorization: Basic " + base64_encode(proxy.user + ":" + proxy.password) +
               "\r\n";
    }
    return out + "\r\n";
}

// The status of a proxy's answer to CONNECT, from its head ("HTTP/1.1 200 Connection
// established\r\n..."); 0 when the status line is not HTTP's.
inline int connect_status(std::string_view head) {
    if (!head.starts_with("HTTP/1.")) return 0;
    const auto space = head.find(' ');
    if (space == std::string_view::npos || head.size() < space + 4) return 0;
    const auto status = parse_integer(head.substr(space + 1, 3));
    return status && *status >= 100 && *status <= 599 ? static_cast<int>(*status) : 0;
}

// The error for a proxy that refused a tunnel: its status line, in its words.
inline transport_error connect_refused(std::string_view head, const url_parts& target) {
    const std::string line(head.substr(0, std::min(head.find('\r'), head.find('\n'))));
    if (connect_status(head) == 407) {
        return transport_error(transport_error_kind::proxy,
                               "the proxy refused the request: " + snippet(line) +
                                   " (give its credentials in transport.proxy.url)",
                               false);
    }
    return transport_error(transport_error_kind::proxy,
                           "the proxy refused the tunnel to " + target.host + ":" +
                               std::to_string(target.port) + ": " + snippet(line),
                           false);
}

// The proxy passwords a request may meet (the options' URL and the environment's, as written and
// decoded): secrets that no message may show.
inline std::vector<std::string> proxy_secrets(const proxy_options& options) {
    std::vector<std::string> out;
    auto add = [&](std::string_view url) {
        const std::string_view userinfo = proxy_userinfo(url);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) return;
        out.emplace_back(userinfo.substr(colon + 1));
        out.push_back(percent_decode(userinfo.substr(colon + 1)));
    };
    add(options.url);
    if (options.use_environment) {
        for (const char* name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"})
            add(first_env({name}));
    }
    return out;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
