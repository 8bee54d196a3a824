// tests/test_examples.cpp: every example runs against the bundled fake server, as a user would run
// it without an API key, so the examples cannot rot. MISTRAL_API_KEY is removed from their
// environment: tests never reach the real API.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/fake_server.hpp"
#include "support/subprocess.hpp"

namespace {

struct run_result {
    int exit_code;
    std::string output;
};

run_result run_example(const std::string& program, const std::vector<std::string>& args = {},
                       const std::string& stdin_file = "",
                       mistral::test::fake_server_options options = {}) {
    mistral::test::fake_server server(options);
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!stdin_file.empty())
        argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + stdin_file, program};
    const auto log = std::filesystem::temp_directory_path() /
                     ("example-" + std::filesystem::path(program).filename().string() + "-" +
                      std::to_string(server.port()) + ".log");
    mistral::test::subprocess child(
        argv, log.string(), {"MISTRAL_BASE_URL=" + server.base_url()},
        {"MISTRAL_API_KEY", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"});
    const int code = child.wait();
    return {code, child.log()};
}

}  // namespace

TEST_CASE("example stream_chat streams a reply from the fake server") {
    const auto r = run_example(EXAMPLE_stream_chat, {"Write a haiku about C++"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("Tokens drift like snow") != std::string::npos);
    CHECK(r.output.find("finish reason: stop") != std::string::npos);
    CHECK(r.output.find("MISTRAL_API_KEY is not set") != std::string::npos);
}

TEST_CASE("example byte_fed drives the byte-fed core from a plain socket") {
    const auto r = run_example(EXAMPLE_byte_fed, {"Write a haiku about C++"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("Tokens drift like snow,\neach chunk parsed where it landed;") !=
          std::string::npos);
    CHECK(r.output.find("tokens, finish reason: stop]") != std::string::npos);
}

TEST_CASE("example asio_chat awaits, pulls and cancels on one thread") {
    mistral::test::fake_server_options slow;
    slow.token_delay = std::chrono::milliseconds(100);  // the timer cancels the long story
    const auto r = run_example(EXAMPLE_asio_chat, {}, "", slow);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("The capital of France is Paris.\n[") != std::string::npos);
    CHECK(r.output.find("no byte left behind.\n[finish reason: stop]") != std::string::npos);
    CHECK(r.output.find("[cancelled after 300 ms, ") != std::string::npos);
    CHECK(r.output.find("[3 requests, all on this thread]") != std::string::npos);
}

TEST_CASE("example embeddings ranks the sentences by closeness to the query") {
    const auto r = run_example(EXAMPLE_embeddings, {"Where is the cat?"});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("closest to \"Where is the cat?\" (1024 dimensions):") !=
          std::string::npos);
    // The fake server's vectors come from words: both sentences about the cat come first.
    const auto cat = r.output.find("cat sleeps");
    const auto kitten = r.output.find("A kitten chased");
    const auto rates = r.output.find("Interest rates");
    REQUIRE(rates != std::string::npos);
    CHECK(cat < rates);
    CHECK(kitten < rates);
    CHECK(r.output.find("prompt tokens") != std::string::npos);
}

TEST_CASE("example fim streams the code between the prompt and the suffix") {
    const auto r = run_example(EXAMPLE_fim);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("def add(a, b):\033[1m\n    c = a + b\n\033[0m    return c\n") !=
          std::string::npos);
    CHECK(r.output.find("[stop, ") != std::string::npos);
}

TEST_CASE("example moderation flags the texts and the reply that need it") {
    const auto r = run_example(EXAMPLE_moderation);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("Great match, well played everyone!           ok\n") != std::string::npos);
    CHECK(
        r.output.find("I will kill you after school.                violence_and_threats (0.93)") !=
        std::string::npos);
    CHECK(r.output.find("pii (0.93)") != std::string::npos);
    CHECK(r.output.find("[the assistant's reply]                      "
                        "dangerous_and_criminal_content (0.93)") != std::string::npos);
}

TEST_CASE("example ocr prints each page's markdown and its tables") {
    const auto r = run_example(EXAMPLE_ocr);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("--- page 0 (0 images, 0 tables)\n# Page 1") != std::string::npos);
    CHECK(r.output.find("--- page 1 (1 images, 0 tables)") != std::string::npos);
    CHECK(r.output.find("[tbl-0.md]\n| a | b |") != std::string::npos);
    CHECK(r.output.find("[3 pages processed]") != std::string::npos);
}

TEST_CASE("example chat prints the answer, the usage and the request id") {
    const auto r = run_example(EXAMPLE_chat);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("The capital of France is Paris.") != std::string::npos);
    CHECK(r.output.find("usage: ") != std::string::npos);
    CHECK(r.output.find("requests left this minute: ") != std::string::npos);
    CHECK(r.output.find("request id: fake-") != std::string::npos);
}

TEST_CASE("example conversation keeps the history across turns") {
    const auto input = std::filesystem::temp_directory_path() / "conversation-input.txt";
    { std::ofstream(input) << "Hello there\nWhat is the capital of France?\n\n"; }
    const auto r = run_example(EXAMPLE_conversation, {}, input.string());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("You asked: \"Hello there\"") != std::string::npos);
    CHECK(r.output.find("The capital of France is Paris.") != std::string::npos);
    CHECK(r.output.find("(5 messages in the conversation)") != std::string::npos);
}

TEST_CASE("example tool_calling runs the whole loop, without and with streaming") {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{}, std::vector<std::string>{"--stream"}}) {
        const auto r = run_example(EXAMPLE_tool_calling, args);
        INFO(r.output);
        CHECK(r.exit_code == 0);
        CHECK(r.output.find("[tool get_weather -> {\"city\": \"Lyon\"") != std::string::npos);
        CHECK(r.output.find("Here is what I found: get_weather says") != std::string::npos);
    }
}

TEST_CASE("example async_chat asks several questions at once") {
    const auto r = run_example(EXAMPLE_async_chat);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("A: The capital of France is Paris.") != std::string::npos);
    CHECK(r.output.find("A: Tokens drift like snow") != std::string::npos);
    CHECK(r.output.find(" tokens in 3 requests") != std::string::npos);
}

TEST_CASE("example pull_stream reads a stream with a range-for and leaves it early") {
    const auto whole = run_example(EXAMPLE_pull_stream, {"What is the capital of France?"});
    INFO(whole.output);
    CHECK(whole.exit_code == 0);
    CHECK(whole.output.find("The capital of France is Paris.\n") != std::string::npos);
    CHECK(whole.output.find(" tokens]") != std::string::npos);
    const auto early =
        run_example(EXAMPLE_pull_stream, {"--words", "2", "What is the capital of France?"});
    INFO(early.output);
    CHECK(early.exit_code == 0);
    CHECK(early.output.find("The capital\n") != std::string::npos);
    CHECK(early.output.find("[stopped after 2 words]") != std::string::npos);
    CHECK(early.output.find("of France") == std::string::npos);
    // The follow-up call is labelled, so that the stream does not seem to go on.
    CHECK(early.output.find("[a second call on the same client") != std::string::npos);
}

TEST_CASE("example structured_output reads the reply into a struct") {
    const auto r = run_example(EXAMPLE_structured_output);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("title:   Dune") != std::string::npos);
    CHECK(r.output.find("authors: [Frank Herbert]\n") != std::string::npos);  // one, not repeated
}

TEST_CASE("example vision sends an image by URL and an embedded one") {
    const auto r = run_example(EXAMPLE_vision);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("I see 2 images (1 by URL, 1 embedded)") != std::string::npos);
}

TEST_CASE("example custom_transport logs each exchange without the API key") {
    const auto r = run_example(EXAMPLE_custom_transport);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("-> POST http://127.0.0.1:") != std::string::npos);
    CHECK(r.output.find("<- 200, ") != std::string::npos);
    CHECK(r.output.find("Authorization") == std::string::npos);
    CHECK(r.output.find("fake-server-key") == std::string::npos);
}

TEST_CASE("example cancel stops a slow stream after its deadline") {
    mistral::test::fake_server_options slow;
    slow.token_delay = std::chrono::milliseconds(100);
    const auto r = run_example(EXAMPLE_cancel, {"400"}, "", slow);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("(cancelled after 400 ms; ") != std::string::npos);
}

TEST_CASE("example cancel reports a failure that is not a cancellation and exits with 1") {
    // A server that is gone: the connection is refused, which the example must report, not
    // terminate on.
    const int port = mistral::test::free_port();
    mistral::test::subprocess child(
        {EXAMPLE_cancel, "60000"},  // after the retries, not before
        (std::filesystem::temp_directory_path() /
         ("example-cancel-refused-" + std::to_string(port) + ".log"))
            .string(),
        {"MISTRAL_BASE_URL=http://127.0.0.1:" + std::to_string(port)},
        {"MISTRAL_API_KEY", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"});
    const int code = child.wait();
    INFO(child.log());
    CHECK(code == 1);
    CHECK(child.log().find("error: ") != std::string::npos);
    CHECK(child.log().find("connection refused") != std::string::npos);
}

TEST_CASE("example testing_with_mock passes its own tests") {
    const auto r = run_example(EXAMPLE_testing_with_mock);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("all tests passed") != std::string::npos);
    CHECK(r.output.find("FAIL") == std::string::npos);
}

TEST_CASE(
    "example local_server streams reasoning, then the answer, from an OpenAI-compatible server") {
    mistral::test::fake_server_options openai;
    openai.openai_compatible = true;  // refuses random_seed, sends reasoning_content
    const auto r = run_example(EXAMPLE_local_server, {"Hello there"}, "", openai);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find(
              "\033[2mThe question is short, so a short answer will do.\033[0m\n\nHello from") !=
          std::string::npos);
    // Usage arrives only because the dialect asked for it.
    CHECK(r.output.find(" completion tokens, finish reason: stop]") != std::string::npos);
    CHECK(r.output.find("[0 prompt") == std::string::npos);
}

// Opt-in: with MISTRAL_TEST_BASE_URL set (and MISTRAL_TEST_MODEL, MISTRAL_TEST_API_KEY as the
// server needs), local_server asks a user's own server. Never in CI: no network but loopback.
TEST_CASE("live: example local_server against MISTRAL_TEST_BASE_URL, when set") {
    const char* url = std::getenv("MISTRAL_TEST_BASE_URL");
    if (url == nullptr || *url == '\0') return;
    std::vector<std::string> env{std::string("MISTRAL_BASE_URL=") + url};
    if (const char* key = std::getenv("MISTRAL_TEST_API_KEY"))
        env.push_back(std::string("LOCAL_API_KEY=") + key);
    if (const char* model = std::getenv("MISTRAL_TEST_MODEL"))
        env.push_back(std::string("MISTRAL_MODEL=") + model);
    const auto log = std::filesystem::temp_directory_path() / "example-local_server-live.log";
    mistral::test::subprocess child({EXAMPLE_local_server, "Say hello in one word."}, log.string(),
                                    env, {"MISTRAL_API_KEY"});
    const int code = child.wait();
    INFO(child.log());
    CHECK(code == 0);
    CHECK(child.log().find(" completion tokens, finish reason: ") != std::string::npos);
}
