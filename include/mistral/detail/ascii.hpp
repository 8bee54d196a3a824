// mistral/detail/ascii.hpp: ASCII case folding, the HTTP token and field-value rules, the
// number parsers for header values, and base64. Standard library only; the one place each is
// written. SPDX-License-Identifier: MIT
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

constexpr char to_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = to_lower(c);
    return out;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

constexpr bool starts_with_icase(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr bool is_alnum(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Without the optional white space (spaces and tabs) around a header value.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The whole of `s` as a decimal integer (a leading '-' allowed), or nothing.
inline std::optional<std::int64_t> parse_integer(std::string_view s) noexcept {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// A header value holding an integer, white space around it allowed.
inline std::optional<std::int64_t> parse_header_integer(std::string_view s) noexcept {
    return parse_integer(trim_ows(s));
}

// A header value holding a non-negative decimal ("1.5", "2", ".5"), white space around it
// allowed; no sign, exponent, inf or nan. By hand: libc++ before 17 has no from_chars for double.
inline std::optional<double> parse_header_decimal(std::string_view s) noexcept {
    s = trim_ows(s);
    const auto dot = s.find('.');
    if (s.empty() || s == "." || s.find_first_not_of("0123456789.") != std::string_view::npos ||
        (dot != std::string_view::npos && s.find('.', dot + 1) != std::string_view::npos)) {
        return std::nullopt;
    }
    double v = 0;
    for (const char c : s.substr(0, dot)) v = v * 10 + (c - '0');
    if (dot != std::string_view::npos) {
        double scale = 1;
        for (const char c : s.substr(dot + 1)) {
            scale /= 10;
            v += (c - '0') * scale;
        }
    }
    if (!(v <= std::numeric_limits<double>::max())) return std::nullopt;  // too many digits
    return v;
}

// A path segment from any text: everything but the unreserved characters (RFC 3986) as %XX, so
// that no text adds a segment, a query or a fragment ('/', '?', '#'), or breaks the request line
// (a space, CR LF). A segment of "." or ".." is the caller's to refuse.
inline std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

// RFC 9110 5.6.2: a header name is a token, 1*tchar.
constexpr bool is_token(std::string_view s) noexcept {
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    for (const char c : s) {
        if (!is_alnum(c) && specials.find(c) == std::string_view::npos) return false;
    }
    return !s.empty();
}

// RFC 9110 5.5: a header value holds no control character but HTAB. (A CR or LF would end the
// header, and let what follows become headers of its own; a NUL would cut the value.)
constexpr bool is_field_value(std::string_view s) noexcept {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7F) return false;
    }
    return true;
}

// RFC 4648 base64, with padding (Basic credentials, data URLs).
inline std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
        for (const int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
