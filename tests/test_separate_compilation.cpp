// tests/test_separate_compilation.cpp: built against mistral::compiled (so with
// MISTRAL_SEPARATE_COMPILATION): this translation unit only declares the client engine and the
// codecs; the target's cmake/mistral_compiled.cpp defines them. A missing or mismatched definition
// fails to link.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include "catch.hpp"

using namespace mistral;

#ifndef MISTRAL_SEPARATE_COMPILATION
#error "this test must be built with MISTRAL_SEPARATE_COMPILATION"
#endif

TEST_CASE("separate compilation: chat, stream and the codecs work from declarations alone") {
    testing::mock_transport mock;
    mock.enqueue(testing::scripted_response::completion("compiled once"));
    mock.enqueue(testing::scripted_response::sse_text("streamed from another translation unit"));
    client_options options;
    options.api_key = "test";
    basic_client<any_transport> client{options, any_transport{mock}};
    const chat_request request{.model = "m", .messages = {user("Hi")}};
    CHECK(client.chat(request).choices.at(0).message.text() == "compiled once");
    CHECK(client.stream(request, [](const chat_chunk&) {}).choices.at(0).message.text() ==
          "streamed from another translation unit");
    CHECK(from_json<chat_request>(to_json(request)) == request);
}
