// examples/testing_with_mock.cpp: how to unit-test your own code that calls the
// client, without a network or an API key. The code under test takes a client over `any_transport`;
// production passes the default transport, the test passes a mock_transport with a scripted stream
// and then checks both the result and the request that was sent.
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <iostream>
#include <string>

// ---- the code under test --------------------------------------------------------------------

class summarizer {
public:
    explicit summarizer(mistral::basic_client<mistral::any_transport> client)
        : client_(std::move(client)) {}

    // Streams a one-sentence summary; on a rate limit, says so instead of failing.
    std::string summarize(const std::string& text) {
        const mistral::chat_request request{
            .model = "mistral-small-latest",
            .messages = {mistral::system("Summarize in one sentence."), mistral::user(text)},
            .temperature = 0.0,
        };
        try {
            return client_.stream(request, [](const mistral::chat_chunk&) {}).text();
        } catch (const mistral::api_error& e) {
            if (e.status() == 429) return "(busy, try again later)";
            throw;
        }
    }

private:
    mistral::basic_client<mistral::any_transport> client_;
};

// ---- the tests ------------------------------------------------------------------------------

namespace {
int failures = 0;
void check(bool ok, const char* what) {
    std::cout << (ok ? "PASS " : "FAIL ") << what << "\n";
    failures += ok ? 0 : 1;
}
}  // namespace

int main() {
    using mistral::testing::scripted_response;
    mistral::testing::mock_transport mock;  // copies share the script and the records
    mistral::client_options options;
    options.api_key = "test-key";
    options.retry = mistral::retry_policy::none();
    summarizer s{
        mistral::basic_client<mistral::any_transport>{options, mistral::any_transport{mock}}};

    // 1. A normal streamed answer, delivered one word per chunk.
    mock.enqueue(scripted_response::sse_text("The cat sat on the mat."));
    check(s.summarize("A very long story about a cat...") == "The cat sat on the mat.",
          "returns the streamed text");
    const auto sent = mock.requests().at(0);
    const boost::json::value body = sent.json();
    check(body.at("stream") == true, "asks for a stream");
    check(body.at("messages").at(0).at("role") == "system", "sends the instructions first");
    check(body.at("temperature") == 0.0, "asks for deterministic output");
    check(sent.headers.find("Authorization") == std::string("Bearer test-key"), "authenticates");

    // 2. The same text arriving in awkward pieces: a chunk boundary inside a UTF-8 character.
    scripted_response split = scripted_response::sse_text("Déjà vu.");
    std::string all;
    for (const auto& piece : split.body_pieces) all += piece;
    split.body_pieces.clear();
    for (std::size_t at = 0; at < all.size(); at += 7)
        split.body_pieces.push_back(all.substr(at, 7));
    mock.enqueue(split);
    check(s.summarize("x") == "Déjà vu.", "survives events split anywhere");

    // 3. A rate limit is handled by the code under test.
    mock.enqueue(scripted_response::json(
        R"({"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"})",
        429));
    check(s.summarize("x") == "(busy, try again later)", "reports a rate limit politely");

    std::cout << (failures == 0 ? "all tests passed\n" : "some tests failed\n");
    return failures == 0 ? 0 : 1;
}
