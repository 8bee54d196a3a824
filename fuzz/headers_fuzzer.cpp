// fuzz/headers_fuzzer.cpp: libFuzzer target: response headers ("name: value" lines) feed the
// rate-limit, request-id, deprecation and Retry-After parsers, and each line is tried as a URL, a
// base_url, a caller's header and a NO_PROXY list. Nothing may crash; only a bad URL may throw
// (transport_error), and the wire checks (usage_error) must hold: what they let through cannot
// change the request's framing, and their messages never show a header's value or a URL's
// credentials.
#include <mistral/mistral.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool has_framing_byte(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void require(bool condition) {
    if (!condition) std::abort();
}

void check_base_url(std::string_view line) {
    const std::string plain = mistral::detail::without_userinfo(line);
    require(plain.size() <= line.size());
    try {
        const std::string url = mistral::detail::checked_base_url(line);
        require(plain == line);  // credentials are refused, never passed on
        require(url.find_first_of("?# \t") == std::string::npos && !has_framing_byte(url));
        const mistral::url_parts parts = mistral::parse_url(url);
        require(parts.scheme == "http" || parts.scheme == "https");
    } catch (const mistral::usage_error& e) {
        if (plain.size() < line.size()) {
            // The credentials, as they were removed, appear nowhere else in the line, so they
            // must not appear in the message.
            const std::string_view message = e.what();
            const auto authority =
                line.find("://") == std::string_view::npos ? 0 : line.find("://") + 3;
            const std::string_view credentials = line.substr(authority, line.size() - plain.size());
            if (credentials.size() >= 4 && line.find(credentials) == authority &&
                line.find(credentials, authority + 1) == std::string_view::npos)
                require(message.find(credentials) == std::string_view::npos);
        }
    }
}

// What check_header says about a header, "" when it lets it through.
std::string verdict(const mistral::http_header& h) {
    try {
        mistral::detail::check_header(h, "client_options");
        return "";
    } catch (const mistral::usage_error& e) {
        return e.what();
    }
}

void check_caller_header(const mistral::http_header& h) {
    require(!mistral::detail::is_token(h.name) || mistral::detail::is_field_value(h.name));
    const std::string said = verdict(h);
    if (said.empty()) require(mistral::detail::is_token(h.name) && !has_framing_byte(h.value));
    // The message depends on the value only through whether it is allowed: it never shows it.
    const bool allowed = mistral::detail::is_field_value(h.value);
    require(said == verdict({h.name, allowed ? "x" : "\n"}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    mistral::http_headers headers;
    while (!input.empty()) {
        const auto end = input.find('\n');
        const std::string_view line = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        const auto colon = line.find(':');
        mistral::http_header field{
            std::string(line.substr(0, colon)),
            colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1))};
        check_caller_header(field);
        headers.add(std::move(field.name), std::move(field.value));
        check_base_url(line);
        try {
            (void)mistral::parse_url(line);
        } catch (const mistral::transport_error&) {}
        (void)mistral::detail::no_proxy_matches(line, "api.mistral.ai");
    }
    const mistral::response_metadata meta = mistral::make_response_metadata(200, headers);
    for (const auto& w : meta.rate_limits.windows)
        (void)meta.rate_limits.find(w.resource, w.window);
    (void)mistral::parse_retry_after(
        headers, std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)));
    return 0;
}
