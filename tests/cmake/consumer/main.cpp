// tests/cmake/consumer/main.cpp: the tiny program every consumption route builds and runs: it uses
// the value types, the JSON conversions, the default transport's type and a streamed call over the
// mock transport.
#include <mistral/mistral.hpp>
#if __has_include(<mistral/testing.hpp>)
#include <mistral/testing.hpp>  // separate in include/; part of the single header
#endif

#include <cstdio>

static_assert(MISTRAL_CPP_VERSION >= 100,
              "version macros are usable in #if and constant expressions");

int main() {
    mistral::client_options options;
    options.api_key = "consumer-key";
    const mistral::client real{options};  // the default transport links
    (void)real;

    mistral::testing::mock_transport mock;
    mock.enqueue(mistral::testing::scripted_response::sse_text("consumed as a package"));
    mistral::basic_client<mistral::testing::mock_transport> client{options, mock};
    const mistral::chat_request request{.model = "mistral-small-latest",
                                        .messages = {mistral::user("Hi")}};
    const auto response = client.stream(request, [](const mistral::chat_chunk&) {});
    const std::string text = response.choices.at(0).message.text();
    std::printf("mistral-cpp %s: %s\n", MISTRAL_CPP_VERSION_STRING, text.c_str());
    return text == "consumed as a package" ? 0 : 1;
}
