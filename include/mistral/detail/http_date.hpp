// mistral/detail/http_date.hpp: the three HTTP date formats of Retry-After, as seconds since
// 1970. Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ascii.hpp"
#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// Days since 1970-01-01 of a proleptic Gregorian date.
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Parses the three HTTP date formats (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37
// GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994". Returns
// seconds since 1970 (an int64: years up to 9999 do not fit system_clock's nanoseconds).
inline std::optional<std::int64_t> parse_http_date(std::string_view s) {
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto number = [](std::string_view t) -> std::optional<int> {
        const auto v = t.size() <= 4 && is_digit(t.empty() ? ' ' : t.front()) ? parse_integer(t)
                                                                              : std::nullopt;
        return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
    };
    auto month_of = [&](std::string_view t) -> std::optional<unsigned> {
        for (unsigned i = 0; i < 12; ++i) {
            if (t == months[i]) return i + 1;
        }
        return std::nullopt;
    };
    // Tokenise on spaces, commas, dashes and colons.
    std::string_view tokens[10];
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size() && count < 10;) {
        while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '-' || s[i] == ':')) ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '-' && s[i] != ':') ++i;
        if (i > start) tokens[count++] = s.substr(start, i - start);
    }
    std::optional<int> day, year, hh, mm, ss;
    std::optional<unsigned> month;
    if (count == 8 && tokens[7] == "GMT") {  // IMF-fixdate or RFC 850
        day = number(tokens[1]);
        month = month_of(tokens[2]);
        year = number(tokens[3]);
        hh = number(tokens[4]);
        mm = number(tokens[5]);
        ss = number(tokens[6]);
        if (year && tokens[3].size() == 2) *year += *year < 70 ? 2000 : 1900;
    } else if (count == 7) {  // asctime
        month = month_of(tokens[1]);
        day = number(tokens[2]);
        hh = number(tokens[3]);
        mm = number(tokens[4]);
        ss = number(tokens[5]);
        year = number(tokens[6]);
    }
    if (!day || !month || !year || !hh || !mm || !ss || *day < 1 || *day > 31 || *hh > 23 ||
        *mm > 59 || *ss > 60) {
        return std::nullopt;
    }
    const std::int64_t seconds =
        days_from_civil(*year, *month, static_cast<unsigned>(*day)) * 86400 + *hh * 3600 +
        *mm * 60 + *ss;
    return seconds;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
