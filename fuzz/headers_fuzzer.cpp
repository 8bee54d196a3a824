// libFuzzer target: response headers ("name: value" lines) feed the rate-limit, request-id,
// deprecation and Retry-After parsers, and each line is tried as a URL and a NO_PROXY list.
// Nothing may crash; only a bad URL may throw (transport_error).
#include <mistral/mistral.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    mistral::http_headers headers;
    while (!input.empty()) {
        const auto end = input.find('\n');
        const std::string_view line = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        const auto colon = line.find(':');
        headers.add(std::string(line.substr(0, colon)),
                    colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1)));
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
