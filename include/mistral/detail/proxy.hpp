// mistral/detail/proxy.hpp: which proxy a request goes through (explicit options, or the
// HTTP(S)_PROXY / NO_PROXY environment), for any transport. Standard library only.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "../http.hpp"
#include "../transport.hpp"
#include "config.hpp"

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

inline std::optional<proxy_endpoint> select_proxy(const proxy_options& options,
                                                  const url_parts& target) {
    std::string url = options.url;
    std::string no_proxy = options.no_proxy;
    if (url.empty() && options.use_environment) {
        url = target.scheme == "https" ? first_env({"https_proxy", "HTTPS_PROXY"})
                                       : first_env({"http_proxy", "HTTP_PROXY"});
        const std::string env_no_proxy = first_env({"no_proxy", "NO_PROXY"});
        if (!env_no_proxy.empty()) no_proxy += "," + env_no_proxy;
    }
    if (url.empty() || no_proxy_matches(no_proxy, target.host)) return std::nullopt;
    if (url.find("://") == std::string::npos) url.insert(0, "http://");
    const url_parts parts = parse_url(url);
    proxy_endpoint proxy{parts.host, parts.port, {}, {}};
    const auto scheme_end = url.find("://") + 3;
    const auto at = url.find('@', scheme_end);
    if (at != std::string::npos && at < url.find('/', scheme_end)) {
        const std::string credentials = url.substr(scheme_end, at - scheme_end);
        const auto colon = credentials.find(':');
        proxy.user = percent_decode(credentials.substr(0, colon));
        if (colon != std::string::npos)
            proxy.password = percent_decode(credentials.substr(colon + 1));
    }
    return proxy;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
