// mistral/detail/sanitize.hpp: the one place that decides what may be printed or kept. Every
// exception message, debug line, kept body and kept header goes through a sanitizer first.
//
// - Secrets (the API key, the values of secret request headers) are replaced by "[redacted]"
//   wherever they appear: in error bodies and messages, in the response headers kept on a
//   response or an error (a server may echo the Authorization header), in debug lines.
// - Debug lines show a header's value only when its name is on an allow-list of harmless
//   headers (content type, request ids, rate limits, Retry-After...); others read [redacted].
// - URLs are printed without their userinfo (user:password@).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../http.hpp"
#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

/// Request headers whose values are always secrets.
inline constexpr std::string_view always_secret_headers[] = {"authorization", "proxy-authorization",
                                                             "cookie", "x-api-key"};

/// Headers whose values a debug line may show.
inline constexpr std::string_view loggable_headers[] = {"accept",
                                                        "accept-encoding",
                                                        "content-type",
                                                        "content-length",
                                                        "content-encoding",
                                                        "transfer-encoding",
                                                        "connection",
                                                        "date",
                                                        "server",
                                                        "user-agent",
                                                        "retry-after",
                                                        "retry-after-ms",
                                                        "x-request-id",
                                                        "mistral-correlation-id",
                                                        "x-kong-request-id",
                                                        "x-kong-upstream-latency",
                                                        "x-kong-proxy-latency",
                                                        "x-envoy-upstream-service-time",
                                                        "x-model-deprecation-timestamp",
                                                        "x-max-retry-attempts-reached",
                                                        "x-llm-gateway-cache",
                                                        "cf-cache-status"};

inline bool is_loggable_header(std::string_view name,
                               const std::vector<std::string>& also_loggable) {
    if (starts_with_icase(name, "x-ratelimit") || starts_with_icase(name, "ratelimitbysize"))
        return true;
    const auto same = [&](std::string_view known) { return iequals(known, name); };
    return std::any_of(std::begin(loggable_headers), std::end(loggable_headers), same) ||
           std::any_of(also_loggable.begin(), also_loggable.end(), same);
}

/// A URL without its userinfo: "http://user:pw@host/p" -> "http://host/p". A password may hold
/// '/', '?' or '#' unescaped ("http://user:se/cret@proxy:3128"), so userinfo with a colon ends at
/// the last '@': what could be a password is never shown, at worst with part of a path.
inline std::string without_userinfo(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto authority_end = url.find_first_of("/?#", authority);
    auto at = url.substr(0, authority_end).rfind('@');
    if (const auto last = url.rfind('@');
        last != std::string_view::npos && last >= authority &&
        url.substr(authority, last - authority).find(':') != std::string_view::npos) {
        at = last;
    }
    if (at == std::string_view::npos || at < authority) return std::string(url);
    return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1));
}

/// Removes secrets from text and headers. Secrets shorter than 4 characters are ignored: they
/// would match ordinary text, and no credential is that short.
class sanitizer {
public:
    sanitizer() = default;

    /// A sanitizer for the API key and the secret headers of a request: the always-secret ones
    /// and those named in `secret_names`.
    sanitizer(std::string_view api_key, const http_headers& request_headers,
              const std::vector<std::string>& secret_names) {
        add_secret(api_key);
        for (const auto& h : request_headers) {
            if (is_secret_header(h.name, secret_names)) add_secret(h.value);
        }
    }

    void add_secret(std::string_view secret) {
        if (secret.size() < 4) return;
        secrets_.emplace_back(secret);
        longest_ = std::max(longest_, secret.size());
    }

    /// The text with every secret replaced by "[redacted]". Each secret reads the text once, and
    /// the search goes on after what it replaced (a secret that "[redacted]" contains does not
    /// make it replace forever), so the cost is linear in the text.
    std::string operator()(std::string text) const {
        for (const auto& secret : secrets_) {
            std::size_t at = text.find(secret);
            if (at == std::string::npos) continue;
            std::string out;
            out.reserve(text.size());
            std::size_t from = 0;
            for (; at != std::string::npos; at = text.find(secret, from)) {
                out.append(text, from, at - from);
                out += "[redacted]";
                from = at + secret.size();
            }
            out.append(text, from);
            text = std::move(out);
        }
        return text;
    }

    /// The start of a text, as an error message shows it (snippet()), with secrets replaced:
    /// only the start is redacted, so a large body costs what its excerpt does. The excerpt ends
    /// before any byte that a secret cut at the end of the redacted part could hold.
    std::string excerpt(std::string_view text) const {
        constexpr std::size_t shown = 200;  // what snippet() keeps
        std::size_t cut = shown + longest_;
        std::string redacted;
        for (;; cut *= 2) {
            redacted = (*this)(std::string(text.substr(0, cut)));
            // The last longest_ - 1 characters may be the start of a secret the cut split.
            if (cut >= text.size() || redacted.size() >= shown + longest_) break;
        }
        if (cut >= text.size()) return snippet(redacted);
        redacted.resize(shown);
        return redacted + "...";
    }

    /// The headers with every secret removed from their names and values.
    http_headers operator()(const http_headers& headers) const {
        http_headers out;
        out.reserve(headers.size());
        for (const auto& h : headers) out.add((*this)(h.name), (*this)(h.value));
        return out;
    }

    /// Names and values for a debug line: values only of loggable headers.
    static std::string describe(const http_headers& headers,
                                const std::vector<std::string>& also_loggable) {
        std::string out;
        for (const auto& h : headers) {
            if (!out.empty()) out += ", ";
            out += h.name + ": " +
                   (is_loggable_header(h.name, also_loggable) ? h.value : "[redacted]");
        }
        return out;
    }

    static bool is_secret_header(std::string_view name, const std::vector<std::string>& named) {
        const auto same = [&](std::string_view secret) { return iequals(secret, name); };
        return std::any_of(std::begin(always_secret_headers), std::end(always_secret_headers),
                           same) ||
               std::any_of(named.begin(), named.end(), same);
    }

private:
    std::vector<std::string> secrets_;
    std::size_t longest_ = 0;
};

}  // namespace detail
MISTRAL_NAMESPACE_END
