// mistral/impl/url.hpp: the definition of transport.hpp's parse_url(). Included at the end of
// transport.hpp in a header-only build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "../detail/ascii.hpp"
#include "../detail/config.hpp"
#include "../detail/sanitize.hpp"
#include "../transport.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL url_parts parse_url(std::string_view url) {
    auto fail = [&]() -> url_parts {
        throw transport_error(transport_error_kind::other,
                              "invalid URL: " + detail::without_userinfo(url), false);
    };
    url_parts out;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return fail();
    out.scheme = detail::to_lower(url.substr(0, scheme_end));
    if (out.scheme != "http" && out.scheme != "https") return fail();
    std::string_view rest = url.substr(scheme_end + 3);
    const auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
    if (out.target.front() != '/') out.target.insert(0, "/");
    if (const auto hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);  // credentials are not used for the API
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail();
        out.host = std::string(authority.substr(1, close - 1));
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return fail();
            port_text = authority.substr(close + 2);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) return fail();
    if (port_text.empty()) {
        out.port = out.scheme == "https" ? 443 : 80;
    } else {
        const auto port = detail::parse_header_integer(port_text);
        if (!port || *port < 1 || *port > 65535) return fail();
        out.port = static_cast<int>(*port);
    }
    return out;
}

MISTRAL_NAMESPACE_END
