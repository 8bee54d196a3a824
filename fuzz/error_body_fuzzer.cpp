// fuzz/error_body_fuzzer.cpp: libFuzzer target: error bodies of any shape parse without throwing,
// and become an api_error with a message.
#include <mistral/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    mistral::api_error_details details = mistral::parse_error_body(body);
    const mistral::api_error e(mistral::make_response_metadata(429, {{"x-request-id", "r"}}), body,
                               std::move(details));
    if (std::string(e.what()).rfind("Mistral API error 429", 0) != 0) std::abort();
    (void)e.retryable();
    return 0;
}
